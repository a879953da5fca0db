//! The regression check CI can afford for the lazy design: counts, not
//! clocks. The first screen of a crash (crash record, threads, traceback, the
//! crashed frame's locals) parses a handful of DWARF units out of hundreds,
//! reads little of the debuggee's memory, and puts little on the wire.

use tests::crash;

#[test]
fn first_screen_touches_a_handful_of_units_and_bytes() {
    let demo = crash("bank");
    let s = demo.session();
    let before = s.stats().unwrap();
    let c = s.crash().unwrap();
    let _ = s.threads().unwrap();
    let tb = s.traceback(c.thread).unwrap();
    let locals = tb.user_frames().next().unwrap().locals().unwrap();
    assert_eq!(locals.len(), 4);
    let after = s.stats().unwrap();
    let traffic = s.traffic();
    eprintln!("first screen: {before:?} -> {after:?}, {traffic:?}");
    // The agent symbolises the crashed thread as soon as its socket is up
    // (so `before` may already count those units); the first screen as a
    // whole needs a handful of the demo's ~1,200 units, however the work
    // was split between that warm-up and the requests.
    assert!(
        (1..=12).contains(&after.units_parsed),
        "{} units parsed for the first screen",
        after.units_parsed
    );
    assert!(
        after.bytes_read - before.bytes_read <= 64 * 1024,
        "{after:?}"
    );
    // The counters count (a zero here would make the bound meaningless).
    assert!(traffic.received > 0 && traffic.sent > 0, "{traffic:?}");
    assert!(traffic.sent + traffic.received <= 16 * 1024, "{traffic:?}");

    // A second debugger's first screen finds every unit already parsed.
    let again = demo.session();
    let c = again.crash().unwrap();
    let tb = again.traceback(c.thread).unwrap();
    let _ = tb.user_frames().next().unwrap().locals().unwrap();
    assert_eq!(again.stats().unwrap().units_parsed, after.units_parsed);
}

#[test]
fn dyn_values_and_statics_touch_only_the_units_that_hold_them() {
    // The collections demo's crashed frame holds `Box<dyn Area>` and
    // `&dyn Area`: their previews name the concrete types, found from the
    // vtables' addresses without a pass over every unit.
    let demo = crash("collections");
    let s = demo.session();
    let c = s.crash().unwrap();
    let tb = s.traceback(c.thread).unwrap();
    let locals = tb.user_frames().next().unwrap().locals().unwrap();
    let preview = |name: &str| {
        locals
            .iter()
            .find(|v| v.name() == name)
            .unwrap_or_else(|| panic!("no local {name}"))
            .preview()
    };
    assert_eq!(preview("dyn_box"), "Square { side: 2.0 }");
    assert_eq!(preview("dyn_ref"), "Disc { radius: 1.5 }");
    let first_screen = s.stats().unwrap().units_parsed;
    eprintln!("first screen with dyn values: {first_screen} units");
    assert!(
        (1..=12).contains(&first_screen),
        "{first_screen} units parsed for the first screen"
    );
    // A static by name: the unit holding it, at most.
    assert_eq!(
        s.static_value("GREETING").unwrap().preview(),
        "\"hello, static\""
    );
    let with_static = s.stats().unwrap().units_parsed;
    assert!(
        with_static <= first_screen + 1,
        "{first_screen} → {with_static} units for one static"
    );
}
