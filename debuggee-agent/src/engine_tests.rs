//! The engine's tests that need a live process: views read against real
//! layouts of this test binary's own locals, inlined frames, and the unit
//! lookup, all through the live host.

mod units {
    use engine::dwarf::symbols;

    #[test]
    fn without_aranges_root_dies_find_the_units_aranges_name() {
        let engine = crate::live::engine();
        let dbg = engine.debug_info().unwrap();
        let code: [u64; 3] = [
            crate::live::program_name as fn() -> String as usize as u64,
            crate::live::current_tid as fn() -> u64 as usize as u64,
            std::process::id as fn() -> u32 as usize as u64,
        ];
        let addrs: Vec<u64> = code.iter().map(|a| a.wrapping_sub(dbg.bias)).collect();
        let by_aranges = symbols::units_by_aranges(&dbg.dwarf.debug_aranges, &addrs);
        assert!(by_aranges.iter().all(Option::is_some), "{by_aranges:?}");
        let roots = dbg.root_ranges();
        let by_roots: Vec<_> = addrs
            .iter()
            .map(|&a| {
                roots
                    .iter()
                    .find(|(_, ranges)| ranges.iter().any(|r| r.begin <= a && a < r.end))
                    .map(|(u, _)| *u)
            })
            .collect();
        assert_eq!(by_roots, by_aranges);
        let names: Vec<_> = dbg
            .locate(&addrs)
            .into_iter()
            .map(|f| f.last().and_then(|f| f.function.clone()))
            .collect();
        assert_eq!(
            names,
            [
                Some("debuggee_agent::live::program_name".to_string()),
                Some("debuggee_agent::live::current_tid".to_string()),
                Some("std::process::id".to_string())
            ]
        );
    }
}

mod inlining {

    /// This thread's traceback, taken inside a call inlined into the caller
    /// (`inline(always)` is honoured even unoptimised), and the line taken at.
    #[inline(always)]
    fn traceback_here() -> (Vec<wire::FrameInfo>, u32) {
        let (ins, line) = (crate::testing::inspector_of_current_thread("test"), line!());
        (ins.traceback(ins.crash.info.thread).unwrap(), line)
    }

    #[test]
    fn an_inlined_call_is_a_frame_of_its_own_at_its_own_line() {
        let (call, (frames, line)) = (line!(), traceback_here());
        let at = frames
            .iter()
            .position(|f| f.function == "debuggee_agent::engine_tests::inlining::traceback_here")
            .unwrap_or_else(|| panic!("{frames:#?}"));
        let (inlined, caller) = (&frames[at], &frames[at + 1]);
        assert!(inlined.inlined);
        assert_eq!(inlined.line, Some(line));
        assert!(
            inlined
                .file
                .as_deref()
                .is_some_and(|f| f.ends_with("debuggee-agent/src/engine_tests.rs")),
            "{inlined:?}"
        );
        assert_eq!(
            caller.function,
            "debuggee_agent::engine_tests::inlining::an_inlined_call_is_a_frame_of_its_own_at_its_own_line"
        );
        assert!(!caller.inlined);
        assert_eq!(caller.line, Some(call));
        assert_eq!(caller.file, inlined.file);
        // Both are one machine frame.
        assert_eq!(caller.pc, inlined.pc);
    }
}

mod std_views {
    use std::cell::RefCell;
    use std::collections::{BTreeMap, HashMap, LinkedList, VecDeque};
    use std::rc::Rc;
    use std::sync::Mutex;

    use crate::testing::locals_of;

    /// Named like std's `VecDeque` but laid out differently.
    #[allow(dead_code)] // read by the views under test, not by Rust code
    mod lookalike {
        pub struct VecDeque {
            pub head: u8,
        }
    }

    #[test]
    fn views_read_real_layouts_and_fall_back_on_unknown_ones() {
        let mut deque: VecDeque<u16> = VecDeque::with_capacity(3);
        deque.extend([1, 2, 3]);
        deque.pop_front();
        deque.push_back(4); // wraps around the end of the buffer
        let map: HashMap<u8, char> = HashMap::from([(1, 'a')]);
        let tree: BTreeMap<u8, u8> = (0..40).map(|i| (i, i * 2)).collect();
        let list: LinkedList<i8> = [-1, -2].into_iter().collect();
        let shared = Rc::new(RefCell::new(5u32));
        let _extra = shared.clone();
        let lock = Mutex::new("held");
        let guard = lock.lock().unwrap();
        let fake = lookalike::VecDeque { head: 9 };
        let shown = locals_of("views_read_real_layouts_and_fall_back_on_unknown_ones");
        let got = |n: &str| shown.get(n).map(String::as_str);
        assert_eq!(got("deque"), Some("[2, 3, 4]"));
        assert_eq!(got("map"), Some("{1: 'a'}"));
        assert_eq!(
            got("tree"),
            Some(
                "{0: 0, 1: 2, 2: 4, 3: 6, 4: 8, 5: 10, 6: 12, 7: 14, 8: 16, 9: 18, 10: 20, 11: 22, 12: 24, 13: 26, 14: 28, ..}"
            )
        );
        assert_eq!(got("list"), Some("[-1, -2]"));
        assert_eq!(got("shared"), Some("RefCell { value: 5 }"));
        assert_eq!(
            got("lock"),
            Some("Mutex { data: \"held\", poisoned: false, .. }")
        );
        assert_eq!(got("fake"), Some("VecDeque { head: 9 }"));
        std::hint::black_box((&deque, &map, &tree, &list, &shared, &guard, &fake));
    }

    #[test]
    fn more_std_views_read_real_layouts() {
        use std::borrow::Cow;
        use std::cell::Cell;
        use std::collections::{BTreeSet, BinaryHeap, HashSet};
        use std::ffi::{CStr, CString, OsString};
        use std::num::NonZeroU64;
        use std::path::{Path, PathBuf};
        use std::sync::atomic::AtomicBool;
        use std::sync::{Arc, RwLock};
        use std::time::Duration;

        let set: HashSet<i16> = HashSet::from([-3]);
        let tree_set: BTreeSet<&str> = ["b", "a"].into_iter().collect();
        let heap: BinaryHeap<u8> = [1, 5, 2].into_iter().collect();
        let arc = Arc::new(7u8);
        let weak = Arc::downgrade(&arc);
        let cell = Cell::new(true);
        let rw = RwLock::new(1.5f32);
        let cow: Cow<[u8]> = Cow::Owned(vec![4, 2]);
        let pinned = std::pin::Pin::new(Box::new('p'));
        let nz = NonZeroU64::new(64).unwrap();
        let pause = Duration::new(2, 5_000_000);
        let buf = PathBuf::from("/a/b");
        let path: &Path = Path::new("rel/p");
        let os = OsString::from("os");
        let c_owned = CString::new("cc").unwrap();
        let c_ref: &CStr = c"lit";
        let flag = AtomicBool::new(true);
        let shown = locals_of("more_std_views_read_real_layouts");
        let got = |n: &str| shown.get(n).map(String::as_str);
        assert_eq!(got("set"), Some("{-3}"));
        assert_eq!(got("tree_set"), Some("{\"a\", \"b\"}"));
        assert_eq!(got("heap"), Some("[5, 1, 2]"));
        assert_eq!(got("arc"), Some("7"));
        assert_eq!(got("weak"), Some("(Weak)"));
        assert_eq!(got("cell"), Some("Cell { value: true }"));
        assert_eq!(got("rw"), Some("RwLock { data: 1.5, poisoned: false, .. }"));
        assert_eq!(got("cow"), Some("[4, 2]"));
        assert_eq!(got("pinned"), Some("'p'"));
        assert_eq!(got("nz"), Some("64"));
        assert_eq!(got("pause"), Some("2.005s"));
        assert_eq!(got("buf"), Some("\"/a/b\""));
        assert_eq!(got("path"), Some("\"rel/p\""));
        assert_eq!(got("os"), Some("\"os\""));
        assert_eq!(got("c_owned"), Some("\"cc\""));
        assert_eq!(got("c_ref"), Some("\"lit\""));
        assert_eq!(got("flag"), Some("true"));
        std::hint::black_box((
            &set, &tree_set, &heap, &arc, &weak, &cell, &rw, &cow, &pinned,
        ));
        std::hint::black_box((&nz, &pause, &buf, path, &os, &c_owned, c_ref, &flag));
    }
}
