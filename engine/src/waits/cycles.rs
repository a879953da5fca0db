//! Cycles of the wait-for graph: each is a deadlock. The graph's nodes
//! are threads and tasks; an edge goes from a waiter to each one it waits
//! for (the holders of its lock, the thread it joins, the task it awaits).
//! Strongly connected components (Tarjan's algorithm) find every node on
//! a cycle; one cycle per component is reported, from its smallest node.

use std::collections::{BTreeMap, BTreeSet};

use wire::Waiter;

/// The cycles of `edges` (waiter → those it waits for), each as its
/// members in order, starting from the smallest; sorted.
pub fn cycles(edges: &BTreeMap<Waiter, BTreeSet<Waiter>>) -> Vec<Vec<Waiter>> {
    let mut out = Vec::new();
    for component in components(edges) {
        let inside: BTreeSet<Waiter> = component.iter().copied().collect();
        let start = *inside.iter().next().expect("a component has a node");
        let self_loop = edges.get(&start).is_some_and(|e| e.contains(&start));
        if inside.len() == 1 && !self_loop {
            continue;
        }
        // Walk from the smallest node, always to the smallest successor
        // inside the component, until a node repeats: a cycle.
        let mut path = vec![start];
        loop {
            let here = *path.last().unwrap();
            let Some(next) = edges
                .get(&here)
                .and_then(|e| e.iter().find(|n| inside.contains(n)))
                .copied()
            else {
                break;
            };
            if let Some(at) = path.iter().position(|&n| n == next) {
                let mut cycle = path.split_off(at);
                let smallest = (0..cycle.len()).min_by_key(|&i| cycle[i]).unwrap_or(0);
                cycle.rotate_left(smallest);
                out.push(cycle);
                break;
            }
            path.push(next);
        }
    }
    out.sort();
    out.dedup();
    out
}

/// Tarjan's strongly connected components, iteratively.
fn components(edges: &BTreeMap<Waiter, BTreeSet<Waiter>>) -> Vec<Vec<Waiter>> {
    let nodes: BTreeSet<Waiter> = edges
        .iter()
        .flat_map(|(from, to)| std::iter::once(*from).chain(to.iter().copied()))
        .collect();
    let mut index: BTreeMap<Waiter, usize> = BTreeMap::new();
    let mut low: BTreeMap<Waiter, usize> = BTreeMap::new();
    let mut on_stack: BTreeSet<Waiter> = BTreeSet::new();
    let mut stack: Vec<Waiter> = Vec::new();
    let mut out = Vec::new();
    let empty = BTreeSet::new();
    for &root in &nodes {
        if index.contains_key(&root) {
            continue;
        }
        // (node, its successors not yet visited)
        let mut work: Vec<(Waiter, Vec<Waiter>)> = Vec::new();
        let visit = |n: Waiter,
                     index: &mut BTreeMap<Waiter, usize>,
                     low: &mut BTreeMap<Waiter, usize>,
                     stack: &mut Vec<Waiter>,
                     on_stack: &mut BTreeSet<Waiter>| {
            let i = index.len();
            index.insert(n, i);
            low.insert(n, i);
            stack.push(n);
            on_stack.insert(n);
        };
        visit(root, &mut index, &mut low, &mut stack, &mut on_stack);
        work.push((
            root,
            edges
                .get(&root)
                .unwrap_or(&empty)
                .iter()
                .rev()
                .copied()
                .collect(),
        ));
        while let Some((node, rest)) = work.last_mut() {
            let node = *node;
            if let Some(next) = rest.pop() {
                if !index.contains_key(&next) {
                    visit(next, &mut index, &mut low, &mut stack, &mut on_stack);
                    let succ = edges
                        .get(&next)
                        .unwrap_or(&empty)
                        .iter()
                        .rev()
                        .copied()
                        .collect();
                    work.push((next, succ));
                } else if on_stack.contains(&next) {
                    let l = low[&node].min(index[&next]);
                    low.insert(node, l);
                }
                continue;
            }
            work.pop();
            if let Some((parent, _)) = work.last() {
                let l = low[parent].min(low[&node]);
                low.insert(*parent, l);
            }
            if low[&node] == index[&node] {
                let mut component = Vec::new();
                while let Some(n) = stack.pop() {
                    on_stack.remove(&n);
                    component.push(n);
                    if n == node {
                        break;
                    }
                }
                out.push(component);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use wire::Waiter::{Task, Thread};

    fn graph(pairs: &[(Waiter, Waiter)]) -> BTreeMap<Waiter, BTreeSet<Waiter>> {
        let mut g: BTreeMap<Waiter, BTreeSet<Waiter>> = BTreeMap::new();
        for &(a, b) in pairs {
            g.entry(a).or_default().insert(b);
        }
        g
    }

    #[test]
    fn two_threads_waiting_on_each_other_are_one_deadlock() {
        let g = graph(&[
            (Thread(7), Thread(3)),
            (Thread(3), Thread(7)),
            (Thread(1), Thread(7)),
        ]);
        assert_eq!(cycles(&g), vec![vec![Thread(3), Thread(7)]]);
    }

    #[test]
    fn a_chain_without_a_cycle_is_none() {
        let g = graph(&[(Thread(1), Thread(2)), (Thread(2), Thread(3))]);
        assert_eq!(cycles(&g), Vec::<Vec<Waiter>>::new());
    }

    #[test]
    fn a_thread_waiting_on_itself_is_a_deadlock() {
        let g = graph(&[(Thread(4), Thread(4))]);
        assert_eq!(cycles(&g), vec![vec![Thread(4)]]);
    }

    #[test]
    fn cycles_across_threads_and_tasks_and_separate_cycles_are_each_found() {
        let g = graph(&[
            (Thread(10), Task(3)),
            (Task(3), Thread(10)),
            (Task(1), Task(2)),
            (Task(2), Task(1)),
            (Task(9), Task(1)),
        ]);
        assert_eq!(
            cycles(&g),
            vec![vec![Thread(10), Task(3)], vec![Task(1), Task(2)]]
        );
    }

    #[test]
    fn a_writer_waiting_on_two_readers_deadlocks_through_either() {
        // Thread 1 waits for readers 2 and 3; reader 3 waits for thread 1.
        let g = graph(&[
            (Thread(1), Thread(2)),
            (Thread(1), Thread(3)),
            (Thread(3), Thread(1)),
        ]);
        assert_eq!(cycles(&g), vec![vec![Thread(1), Thread(3)]]);
    }
}
