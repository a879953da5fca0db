// The pmdb extension: starts `pmdb dap` for debug sessions of type "pmdb",
// and offers `${command:pickCrash}`, a pick list of the crashed processes
// waiting for a debugger (from `pmdb list`).
'use strict';

const vscode = require('vscode');
const { execFile } = require('child_process');

function pmdbPath() {
  return vscode.workspace.getConfiguration('pmdb').get('path') || 'pmdb';
}

/** Asks which waiting crash to attach to; resolves to its pid as a string. */
function pickCrash() {
  return new Promise((resolve, reject) => {
    execFile(pmdbPath(), ['list'], (err, stdout) => {
      if (err) {
        reject(new Error(`cannot run ${pmdbPath()} list: ${err.message}`));
        return;
      }
      // "     PID  PROGRAM            AGE  CRASH" then one line per process.
      const items = stdout.split('\n').slice(1)
        .map((l) => l.trim().match(/^(\d+)\s+(\S+)\s+(\S+)\s+(.*)$/))
        .filter(Boolean)
        .map(([, pid, program, age, crash]) => ({ label: pid, description: `${program}, ${age} ago`, detail: crash }));
      if (items.length === 0) {
        reject(new Error(stdout.trim() || 'no crashed process is waiting for a debugger'));
        return;
      }
      vscode.window.showQuickPick(items, { placeHolder: 'Attach to which crashed process?' })
        .then((item) => (item ? resolve(item.label) : resolve(undefined)));
    });
  });
}

function activate(context) {
  context.subscriptions.push(
    vscode.commands.registerCommand('pmdb.pickCrash', pickCrash),
    vscode.debug.registerDebugAdapterDescriptorFactory('pmdb', {
      createDebugAdapterDescriptor() {
        return new vscode.DebugAdapterExecutable(pmdbPath(), ['dap']);
      },
    }),
  );
}

function deactivate() {}

module.exports = { activate, deactivate };
