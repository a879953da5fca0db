//! What `pmdb dap` asks of the agent, counted by the agent itself
//! (`Request::Stats`): the editor's first screen — threads, stack trace,
//! scopes and the crashed frame's locals — comes with the attach (one
//! pipelined round trip), and expanding a value is one request more.

use serde_json::{Value, json};
use tests::dap::DapClient;

#[test]
fn the_first_screen_is_one_round_trip_and_an_expansion_one_request_or_two_through_a_reference() {
    let demo = tests::crash("bank");
    let counter = demo.session();
    let requests = || counter.stats().unwrap().requests;
    // What one look at the counter costs.
    let (a, b) = (requests(), requests());
    let stats_cost = b - a;

    let mut editor = DapClient::start(&tests::bin("pmdb"));
    let before = requests();
    editor.request("initialize", json!({"adapterID": "pmdb"}));
    editor.request("attach", json!({"socket": demo.socket}));
    // The connection (the agent counts an accepted one as activity), the
    // hello, then crash, threads, traceback and locals, pipelined.
    let after_attach = requests();
    assert_eq!(after_attach - before - stats_cost, 6);
    editor.event("initialized");
    editor.request("configurationDone", Value::Null);
    let stopped = editor.event("stopped");
    let thread = stopped["body"]["threadId"].clone();
    let threads = editor.request("threads", Value::Null);
    assert_eq!(threads["threads"][0]["name"], "main");
    let frames = editor.request("stackTrace", json!({"threadId": thread, "levels": 20}));
    let withdraw = frames["stackFrames"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["presentationHint"] != "subtle")
        .unwrap()
        .clone();
    assert_eq!(withdraw["name"], "demo::bank::withdraw");
    let scopes = editor.request("scopes", json!({"frameId": withdraw["id"]}));
    let locals = editor.request(
        "variables",
        json!({"variablesReference": scopes["scopes"][0]["variablesReference"]}),
    );
    let names: Vec<&str> = locals["variables"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["account", "amount", "memo", "limit"]);
    // Nothing more for threads, stackTrace, scopes and variables: the
    // attach brought them. The stopped event asked why the threads wait
    // (the waits request, so a deadlock is said first; the thread names it
    // uses come from the first screen).
    let after_screen = requests();
    assert_eq!(after_screen - after_attach - stats_cost, 1);

    // A reference to a struct expands to its fields: the pointee, then its
    // children, two requests.
    let account = locals["variables"][0]["variablesReference"].clone();
    let fields = editor.request("variables", json!({"variablesReference": account}));
    assert_eq!(fields["variables"][0]["evaluateName"], "account.id");
    assert_eq!(fields["variables"][0]["value"], "2");
    assert_eq!(requests() - after_screen - stats_cost, 2);
    let after_account = requests();
    // Any other expansion is one request.
    let history = fields["variables"][3].clone();
    assert_eq!(history["evaluateName"], "account.history");
    let elements = editor.request(
        "variables",
        json!({"variablesReference": history["variablesReference"]}),
    );
    assert_eq!(elements["variables"][0]["value"], "50");
    assert_eq!(requests() - after_account - stats_cost, 1);
}

#[test]
fn shadowed_bindings_are_marked_and_only_the_visible_one_has_a_path() {
    let demo = tests::crash("unsized");
    let mut editor = DapClient::start(&tests::bin("pmdb"));
    editor.request("initialize", json!({"adapterID": "pmdb"}));
    editor.request("attach", json!({"socket": demo.socket}));
    editor.event("initialized");
    editor.request("configurationDone", Value::Null);
    let stopped = editor.event("stopped");
    let frames = editor.request(
        "stackTrace",
        json!({"threadId": stopped["body"]["threadId"], "levels": 20}),
    );
    let run = frames["stackFrames"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["name"] == "demo::unsized_values::run")
        .unwrap()
        .clone();
    let scopes = editor.request("scopes", json!({"frameId": run["id"]}));
    let locals = editor.request(
        "variables",
        json!({"variablesReference": scopes["scopes"][0]["variablesReference"]}),
    );
    let xs: Vec<(String, String, Value)> = locals["variables"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|v| v["name"].as_str().unwrap().starts_with("x"))
        .map(|v| {
            (
                v["name"].as_str().unwrap().to_string(),
                v["value"].as_str().unwrap().to_string(),
                v["evaluateName"].clone(),
            )
        })
        .collect();
    assert_eq!(
        xs,
        [
            ("x".to_string(), "3.5".to_string(), json!("x")),
            (
                "x (shadowed)".to_string(),
                "\"two\"".to_string(),
                Value::Null
            ),
            ("x (shadowed)".to_string(), "1".to_string(), Value::Null),
        ]
    );
}

#[test]
fn a_view_the_agent_could_not_use_is_an_output_event() {
    let (demo, views) = tests::crash_with_views("[[view]]\nkind = \"seq\"\n");
    let mut editor = DapClient::start(&tests::bin("pmdb"));
    editor.request("initialize", json!({"adapterID": "pmdb"}));
    editor.request("attach", json!({"socket": demo.socket}));
    let output = editor.event("output");
    assert_eq!(
        output["body"],
        json!({
            "category": "important",
            "output": format!(
                "pmdb: warning: view not used: {}:1: the view of a type not named: missing field `type`\n",
                views.display()
            )
        })
    );
}
