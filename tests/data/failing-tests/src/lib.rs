//! A basket's total, and the unit tests `pmdb test` reports on: an
//! `assert_eq!` in a helper, an `unwrap()` on an `Err`, `should_panic`
//! tests (one whose panic was expected, one whose message was not) and a
//! passing test; and two doc tests, one failing.

/// The sum of the prices.
///
/// ```
/// assert_eq!(failing_tests::total(&[1, 2]), 3);
/// ```
///
/// A doc test that fails (`pmdb test` says why it shows no locals):
///
/// ```
/// let prices = [2, 2];
/// assert_eq!(failing_tests::total(&prices), 5);
/// ```
pub fn total(prices: &[u32]) -> u32 {
    prices.iter().sum()
}

#[cfg(test)]
mod tests {
    use super::total;

    /// The helper that asserts: its locals are the ones to see.
    fn check_total(prices: &[u32], expected: u32) {
        let got = total(prices);
        assert_eq!(got, expected, "total of {} prices", prices.len());
    }

    #[test]
    fn assert_eq_on_locals() {
        let prices = vec![3, 4];
        let expected = 8;
        check_total(&prices, expected);
    }

    #[test]
    fn unwrap_on_err() {
        let input = "12x";
        let parsed: Result<u32, String> = input.parse().map_err(|e| format!("{e}"));
        let count = parsed.unwrap();
        assert_eq!(count, 12);
    }

    #[test]
    #[should_panic(expected = "empty basket")]
    fn should_panic_as_expected() {
        let prices: Vec<u32> = Vec::new();
        if prices.is_empty() {
            panic!("empty basket");
        }
    }

    #[test]
    #[should_panic(expected = "empty basket")]
    fn should_panic_with_another_message() {
        let size = 3;
        panic!("basket of {size}");
    }

    #[test]
    fn passes() {
        let prices = [1, 2];
        assert_eq!(total(&prices), 3);
    }
}
