//! Threads at scale: which threads a name filter keeps, and threads grouped
//! by identical tracebacks, as `pstack`-style tools show a pool of 2,000
//! workers: "1,998 threads × the same stack" with the stack once.

use wire::{Session, ThreadInfo, Traceback};

/// Thread names listed per group before "…".
const NAMES_SHOWN: usize = 5;

/// The indexes of the threads whose name contains `filter` (any case).
pub fn matching(threads: &[ThreadInfo], filter: &str) -> Vec<usize> {
    let filter = filter.to_lowercase();
    (0..threads.len())
        .filter(|&i| filter.is_empty() || threads[i].name.to_lowercase().contains(&filter))
        .collect()
}

/// Threads whose tracebacks are identical, frame for frame.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Group {
    /// Indexes into the thread list, in list order.
    pub threads: Vec<usize>,
    /// The shared traceback, one `#N function at file:line` per frame.
    pub frames: Vec<String>,
    /// Where the threads stand, in a few words: the innermost frame of the
    /// program's own (`demo::pool::serve_slot pool.rs:98`), else the
    /// innermost frame.
    pub at: String,
}

/// Groups `threads` (indexes into `all`) by traceback, the biggest group
/// first (ties in list order); tracebacks asked for in pipelined windows.
pub fn group(
    session: &Session,
    all: &[ThreadInfo],
    threads: &[usize],
) -> anyhow::Result<Vec<Group>> {
    let ids: Vec<u64> = threads.iter().map(|&i| all[i].id).collect();
    let mut tracebacks = Vec::with_capacity(ids.len());
    for tb in session.tracebacks(&ids)? {
        tracebacks.push(tb?);
    }
    Ok(group_tracebacks(threads, &tracebacks))
}

/// The grouping itself, a pure function of the tracebacks.
pub fn group_tracebacks(threads: &[usize], tracebacks: &[Traceback]) -> Vec<Group> {
    let mut groups: Vec<Group> = Vec::new();
    let mut index: std::collections::HashMap<Vec<String>, usize> = Default::default();
    for (&t, tb) in threads.iter().zip(tracebacks) {
        let frames: Vec<String> = tb
            .frames
            .iter()
            .map(|f| {
                let at = match (&f.info.file, f.info.line) {
                    (Some(file), Some(line)) => format!(" at {file}:{line}"),
                    _ => String::new(),
                };
                format!("#{} {}{at}", f.info.id.index, f.info.function)
            })
            .collect();
        match index.get(&frames) {
            Some(&g) => groups[g].threads.push(t),
            None => {
                index.insert(frames.clone(), groups.len());
                let at = tb
                    .frames
                    .iter()
                    .find(|f| !f.info.runtime)
                    .or(tb.frames.first())
                    .map(|f| {
                        let file = f
                            .info
                            .file
                            .as_deref()
                            .map(|p| p.rsplit('/').next().unwrap_or(p));
                        match (file, f.info.line) {
                            (Some(file), Some(line)) => {
                                format!("{} {file}:{line}", f.info.function)
                            }
                            _ => f.info.function.clone(),
                        }
                    })
                    .unwrap_or_else(|| "no frames".to_string());
                groups.push(Group {
                    threads: vec![t],
                    frames,
                    at,
                });
            }
        }
    }
    groups.sort_by_key(|g| std::cmp::Reverse(g.threads.len()));
    groups
}

/// `1,998` for 1998.
pub fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// The groups as text: a heading per group naming its first threads, then
/// its frames (runtime ones included, as the grouping compares them too).
pub fn render(all: &[ThreadInfo], groups: &[Group]) -> Vec<String> {
    let mut out = Vec::new();
    for g in groups {
        let names: Vec<&str> = g
            .threads
            .iter()
            .take(NAMES_SHOWN)
            .map(|&i| all[i].name.as_str())
            .collect();
        let more = if g.threads.len() > NAMES_SHOWN {
            ", …"
        } else {
            ""
        };
        out.push(if g.threads.len() == 1 {
            format!("1 thread: {}{more}", names.join(", "))
        } else {
            format!(
                "{} threads × the same stack: {}{more}",
                thousands(g.threads.len()),
                names.join(", ")
            )
        });
        out.extend(g.frames.iter().map(|f| format!("    {f}")));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn thread(id: u64, name: &str) -> ThreadInfo {
        ThreadInfo {
            id,
            name: name.into(),
            crashed: false,
            state: None,
        }
    }

    #[test]
    fn filters_by_name_in_any_case() {
        let all = [thread(1, "main"), thread(2, "pool-1"), thread(3, "Pool-12")];
        assert_eq!(matching(&all, "pool-1"), [1, 2]);
        assert_eq!(matching(&all, ""), [0, 1, 2]);
        assert_eq!(matching(&all, "nope"), Vec::<usize>::new());
    }

    #[test]
    fn thousands_are_separated() {
        assert_eq!(thousands(7), "7");
        assert_eq!(thousands(1998), "1,998");
        assert_eq!(thousands(1_000_000), "1,000,000");
    }

    #[test]
    fn groups_render_biggest_first() {
        let all: Vec<ThreadInfo> = (0..8).map(|i| thread(i, &format!("pool-{i}"))).collect();
        let groups = vec![
            Group {
                threads: vec![7],
                frames: vec!["#0 main".into()],
                at: "main".into(),
            },
            Group {
                threads: (0..7).collect(),
                frames: vec!["#0 park".into(), "#1 serve_slot at pool.rs:65".into()],
                at: "serve_slot pool.rs:65".into(),
            },
        ];
        let mut sorted = groups.clone();
        sorted.sort_by_key(|g| std::cmp::Reverse(g.threads.len()));
        assert_eq!(
            render(&all, &sorted),
            [
                "7 threads × the same stack: pool-0, pool-1, pool-2, pool-3, pool-4, …",
                "    #0 park",
                "    #1 serve_slot at pool.rs:65",
                "1 thread: pool-7",
                "    #0 main",
            ]
        );
    }
}
