//! End to end on the optimized build (`--profile release-debug`: release with
//! full debug info). Locals DWARF places in memory or in a register the
//! unwinder recovers are shown; everything else is `<optimized out>` — never a
//! wrong value. The expectations below are checked against the source: every
//! value shown is the one the program holds at the crash.

use tests::crash_optimized;

fn locals(tb: &wire::Traceback, function: &str) -> Vec<String> {
    tb.frame_named(function)
        .unwrap()
        .locals()
        .unwrap()
        .iter()
        .map(|v| format!("{} = {}", v.name(), v.preview()))
        .collect()
}

#[test]
fn optimized_bank_shows_true_values_or_optimized_out() {
    let demo = crash_optimized("bank");
    let s = demo.session();
    let c = s.crash().unwrap();
    assert_eq!(
        c.message,
        "insufficient funds: bob has 75 but round 1 needs 500"
    );
    let tb = s.traceback(c.thread).unwrap();
    let user: Vec<&str> = tb.user_frames().map(|f| f.info.function.as_str()).collect();
    assert_eq!(
        user,
        [
            "demo::bank::withdraw",
            "demo::bank::transfer",
            "demo::bank::settle",
            "demo::bank::run",
            "demo::main"
        ]
    );
    // Inlined calls are frames of their own.
    assert!(tb.frame_named("transfer").unwrap().info.inlined);
    assert_eq!(
        locals(&tb, "withdraw"),
        [
            "account = Account { id: 2, owner: \"bob\", balance: 50, history: [50], overdraft: Some(25) }",
            "amount = 500",
            "memo = \"round 1\"",
            "limit = 75"
        ]
    );
    assert_eq!(
        locals(&tb, "transfer"),
        [
            "from_id = <optimized out>",
            "to_id = <optimized out>",
            "amount = <optimized out>",
            "memo = <optimized out>",
            // The visible binding, then the one it shadows.
            "from = Account { id: 2, owner: \"bob\", balance: 50, history: [50], overdraft: Some(25) }",
            "from = <optimized out>"
        ]
    );
    assert_eq!(
        locals(&tb, "settle"),
        [
            "batch = <optimized out>",
            "iter = <optimized out>",
            "round = 1",
            "from = <optimized out>",
            "to = <optimized out>",
            "amount = <optimized out>",
            "label = <optimized out>"
        ]
    );
    assert_eq!(
        locals(&tb, "run")[0],
        "bank = Bank { name: \"First Crash Bank\", accounts: [Account { id: 1, owner: \"alice\", balance: 100, history: [..], .. }, ..] }"
    );
    s.resume().unwrap();
    assert_eq!(demo.wait().0.code(), Some(101));
}
