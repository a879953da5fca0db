//! The `config` scenario: a config file parsed line by line, which panics on
//! a line that is not `key = value`: the example of a crash caught in a
//! user's own integration test (`demo/tests/crash_in_test.rs`).

use std::collections::BTreeMap;

const TEXT: &str = "name = demo\nx\nport = 8080\n";

pub fn run() {
    let settings = load(TEXT);
    println!("{settings:?}");
}

fn load(text: &str) -> BTreeMap<String, String> {
    let mut settings = BTreeMap::new();
    for (number, line) in text.lines().enumerate() {
        let (key, value) = parse(number + 1, line.to_string());
        settings.insert(key, value);
    }
    settings
}

fn parse(number: usize, line: String) -> (String, String) {
    match line.split_once(" = ") {
        Some((key, value)) => (key.to_string(), value.to_string()),
        None => panic!("bad line {number}: {line:?}"),
    }
}
