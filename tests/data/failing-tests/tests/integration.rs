//! An integration test binary of its own: one failing test, one passing.

#[test]
fn budget_is_kept() {
    let budget = 5;
    let spent = failing_tests::total(&[4, 3]);
    assert!(spent <= budget, "spent {spent} of {budget}");
}

#[test]
fn total_of_nothing() {
    assert_eq!(failing_tests::total(&[]), 0);
}
