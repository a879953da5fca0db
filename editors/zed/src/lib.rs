//! The pmdb debugger extension for Zed: Zed starts `pmdb dap` (found on the
//! worktree's PATH, or the path set in Zed's `dap.pmdb.binary` setting) and
//! passes the debug configuration through as the attach or launch arguments.

use zed_extension_api::{
    self as zed, DebugAdapterBinary, DebugTaskDefinition, StartDebuggingRequestArguments,
    StartDebuggingRequestArgumentsRequest, Worktree, serde_json,
};

struct Pmdb;

impl zed::Extension for Pmdb {
    fn new() -> Self {
        Pmdb
    }

    fn get_dap_binary(
        &mut self,
        adapter_name: String,
        config: DebugTaskDefinition,
        user_provided_debug_adapter_path: Option<String>,
        worktree: &Worktree,
    ) -> Result<DebugAdapterBinary, String> {
        let command = user_provided_debug_adapter_path
            .or_else(|| worktree.which("pmdb"))
            .ok_or(
                "pmdb is not on PATH (cargo install --path debugger-tui, or set dap.pmdb.binary)",
            )?;
        let parsed: serde_json::Value = serde_json::from_str(&config.config)
            .map_err(|e| format!("the pmdb configuration is not JSON: {e}"))?;
        let request = self.dap_request_kind(adapter_name, parsed)?;
        Ok(DebugAdapterBinary {
            command: Some(command),
            arguments: vec!["dap".into()],
            envs: Vec::new(),
            cwd: Some(worktree.root_path()),
            connection: None,
            request_args: StartDebuggingRequestArguments {
                configuration: config.config,
                request,
            },
        })
    }

    fn dap_request_kind(
        &mut self,
        _adapter_name: String,
        config: serde_json::Value,
    ) -> Result<StartDebuggingRequestArgumentsRequest, String> {
        match config.get("request").and_then(|r| r.as_str()) {
            Some("launch") => Ok(StartDebuggingRequestArgumentsRequest::Launch),
            Some("attach") => Ok(StartDebuggingRequestArgumentsRequest::Attach),
            _ => Err("a pmdb configuration needs \"request\": \"attach\" or \"launch\"".into()),
        }
    }
}

zed::register_extension!(Pmdb);
