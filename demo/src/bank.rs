//! The `bank` scenario: a ledger of accounts, a transfer that overdraws, and a
// Fields exist to be read by the debugger after the crash, not by the program.
#![allow(dead_code)]
//! panic three calls deep with structs, strings, vectors and an `Option` in
//! the frames on the way.

#[derive(Debug, Clone)]
pub struct Account {
    pub id: u32,
    pub owner: String,
    pub balance: i64,
    pub history: Vec<i64>,
    pub overdraft: Option<i64>,
}

pub struct Bank {
    pub name: &'static str,
    pub accounts: Vec<Account>,
}

pub fn run() {
    let mut bank = Bank {
        name: "First Crash Bank",
        accounts: vec![
            Account {
                id: 1,
                owner: "alice".to_string(),
                balance: 100,
                history: vec![100, -20, 20],
                overdraft: None,
            },
            Account {
                id: 2,
                owner: "bob".to_string(),
                balance: 50,
                history: vec![50],
                overdraft: Some(25),
            },
        ],
    };
    let batch = vec![(1, 2, 30), (2, 1, 500)];
    settle(&mut bank, &batch);
}

fn settle(bank: &mut Bank, batch: &[(u32, u32, i64)]) {
    for (round, &(from, to, amount)) in batch.iter().enumerate() {
        let label = format!("round {round}");
        transfer(bank, from, to, amount, &label);
    }
}

fn transfer(bank: &mut Bank, from_id: u32, to_id: u32, amount: i64, memo: &str) {
    let from = bank.accounts.iter().position(|a| a.id == from_id).unwrap();
    let to = bank.accounts.iter().position(|a| a.id == to_id).unwrap();
    let from = bank.accounts[from].clone();
    withdraw(&from, amount, memo);
    let _ = to;
}

fn withdraw(account: &Account, amount: i64, memo: &str) {
    let limit = account.balance + account.overdraft.unwrap_or(0);
    if amount > limit {
        panic!(
            "insufficient funds: {} has {} but {memo} needs {amount}",
            account.owner, limit
        );
    }
}
