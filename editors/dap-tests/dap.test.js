// `pmdb dap` driven by @vscode/debugadapter-testsupport's DebugClient (the
// client VS Code's own adapters are tested with) against real crashed demo
// processes: exact values, paging, evaluate (the expression language, its
// errors' columns), the Registers scope, exceptionInfo, a second crash while
// attached, and what each way of ending does to the program; and against hung `demo-hang` programs that
// never linked the agent, attached by pid as they run (a live snapshot held
// until the session ends, then every thread running on, untraced). Run by `cargo test -p tests --test dap_client`
// (which builds nothing: `cargo build --workspace` first), or `npm test` here.
'use strict';

const { describe, it, afterEach } = require('node:test');
const assert = require('node:assert/strict');
const cp = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { DebugClient } = require('@vscode/debugadapter-testsupport');

const ROOT = path.resolve(__dirname, '..', '..');
const BIN = process.env.PMDB_BIN_DIR || path.join(ROOT, 'target', 'debug');
const PMDB = path.join(BIN, 'pmdb');
const DEMO = path.join(BIN, 'demo');
const HANG = path.join(BIN, 'demo-hang');
const TIMEOUT = 20000;
const BANK_RS = path.join(ROOT, 'demo', 'src', 'bank.rs');
const TWICE_RS = path.join(ROOT, 'demo', 'src', 'twice.rs');

const cleanups = [];
afterEach(async () => {
  while (cleanups.length) {
    await cleanups.pop()();
  }
});

/** A fresh private socket directory. */
function tempDir(tag) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `pmdb-dap-test-${tag}-`));
  fs.chmodSync(dir, 0o700);
  cleanups.push(async () => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Starts `demo SCENARIO` in wait mode; resolves once it serves its crash.
 * With `stdin`, the demo's stdin is a pipe the test writes to. */
async function crash(scenario, dir = tempDir(scenario), env = {}, { stdin = false } = {}) {
  const child = cp.spawn(DEMO, [scenario], {
    cwd: ROOT,
    env: { ...process.env, PMDB_MODE: 'wait', PMDB_DIR: dir, PMDB_WAIT: '60', RUST_BACKTRACE: '0', ...env },
    stdio: [stdin ? 'pipe' : 'ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (d) => { stderr += d; });
  const exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  cleanups.push(async () => { child.kill('SIGKILL'); await exited; });
  const socket = path.join(dir, `${child.pid}.sock`);
  const deadline = Date.now() + TIMEOUT;
  while (!fs.existsSync(socket)) {
    if (Date.now() > deadline) throw new Error(`demo ${scenario} did not crash:\n${stderr}`);
    await new Promise((r) => setTimeout(r, 10));
  }
  return {
    pid: child.pid, dir, socket, stdin: child.stdin,
    /** The exit, with everything written to stderr. */
    ended: async () => ({ ...(await withTimeout(exited, 'the demo to end')), stderr }),
  };
}

function withTimeout(promise, what) {
  let timer;
  return Promise.race([
    promise.finally(() => clearTimeout(timer)),
    new Promise((_, reject) => { timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), TIMEOUT); }),
  ]);
}

/** A running `pmdb dap`, its working directory the workspace root. */
async function adapter() {
  const dc = new DebugClient(PMDB, 'dap', 'pmdb', { cwd: ROOT }, true);
  dc.defaultTimeout = TIMEOUT;
  await dc.start();
  cleanups.push(async () => { dc.stopAdapter ? dc.stopAdapter() : null; });
  return dc;
}

/** initialize, attach with `args`, configurationDone; the stopped event. */
async function attach(dc, args) {
  const init = await dc.initializeRequest();
  dc._supportsConfigurationDoneRequest = init.body.supportsConfigurationDoneRequest;
  const [, , stopped] = await Promise.all([
    dc.configurationSequence(),
    dc.attachRequest(args),
    dc.waitForEvent('stopped'),
  ]);
  return stopped;
}

async function frames(dc, threadId) {
  return (await dc.stackTraceRequest({ threadId })).body.stackFrames;
}

async function frameNamed(dc, threadId, name) {
  const f = (await frames(dc, threadId)).find((f) => f.name === name);
  assert.ok(f, `no frame ${name}`);
  return f;
}

async function scopes(dc, frameId) {
  const all = (await dc.scopesRequest({ frameId })).body.scopes;
  assert.deepEqual(all.map((s) => [s.name, s.presentationHint, s.expensive]),
    [['Locals', 'locals', false], ['Registers', 'registers', false]]);
  return all;
}

async function locals(dc, frameId) {
  const [scope] = await scopes(dc, frameId);
  return (await dc.variablesRequest({ variablesReference: scope.variablesReference })).body.variables;
}

/** A frame's Registers scope, by name. */
async function registers(dc, frameId) {
  const [, scope] = await scopes(dc, frameId);
  const vars = (await dc.variablesRequest({ variablesReference: scope.variablesReference })).body.variables;
  return Object.fromEntries(vars.map((v) => [v.name, v]));
}

/** Every `stopped` event `dc` gets from now on, and a wait for the nth. */
function stops(dc) {
  const seen = [];
  let wake = () => {};
  dc.on('stopped', (e) => { seen.push(e); wake(); });
  return {
    async nth(n) {
      while (seen.length < n) {
        await withTimeout(new Promise((r) => { wake = r; }), `stopped event ${n}`);
      }
      return seen[n - 1];
    },
    count: () => seen.length,
  };
}

async function children(dc, v, extra = {}) {
  return (await dc.variablesRequest({ variablesReference: v.variablesReference, ...extra })).body.variables;
}

/** name: type = value, as `pmdb report` prints a local. */
const line = (v) => `${v.name}: ${v.type} = ${v.value}`;

/** Each thread of `pid` as `/proc` says: tid, state letter, TracerPid, system call. */
function threadsOf(pid) {
  return fs.readdirSync(`/proc/${pid}/task`).map(Number).sort((a, b) => a - b).map((tid) => {
    const status = fs.readFileSync(`/proc/${pid}/task/${tid}/status`, 'utf8');
    const field = (key) => status.match(new RegExp(`^${key}:\\s*(\\S+)`, 'm'))[1];
    const syscall = fs.readFileSync(`/proc/${pid}/task/${tid}/syscall`, 'utf8').trim().split(' ');
    return { tid, state: field('State'), tracer: Number(field('TracerPid')), syscall };
  });
}

/** Polls `ready()` every millisecond until it holds (at most TIMEOUT). */
async function until(ready, what) {
  const deadline = Date.now() + TIMEOUT;
  while (!ready()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 1));
  }
}

/** Asserts no thread of `pid` is traced or stopped: it runs as before pmdb came. */
function assertUntouched(pid) {
  const threads = threadsOf(pid);
  assert.ok(threads.length > 0, `pid ${pid} is gone`);
  for (const t of threads) {
    assert.equal(t.tracer, 0, `thread ${t.tid} of ${pid} is still traced`);
    assert.ok(!['t', 'T'].includes(t.state), `thread ${t.tid} of ${pid} is left stopped (${t.state})`);
  }
}

/** The adapter's own pid, and that it holds every thread of `pid` in a ptrace stop. */
function assertHeldBy(pid, adapterPid) {
  for (const t of threadsOf(pid)) {
    assert.equal(t.state, 't', `thread ${t.tid} is not held`);
    const tgid = Number(fs.readFileSync(`/proc/${t.tracer}/status`, 'utf8').match(/^Tgid:\s*(\d+)/m)[1]);
    assert.equal(tgid, adapterPid, `thread ${t.tid} is traced by ${t.tracer}`);
  }
}

/**
 * Starts `demo-hang SCENARIO` (a hung program that never links the agent);
 * resolves once it said `ready` and every thread stands where it stays: in
 * one of `calls`, as `/proc/PID/task/TID/syscall` names them (x86-64 system
 * call numbers, `running`, or `-1`: in its own code).
 */
async function hung(scenario, calls) {
  const child = cp.spawn(HANG, [scenario], { stdio: ['pipe', 'pipe', 'ignore'] });
  const exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  cleanups.push(async () => { child.kill('SIGKILL'); await exited; });
  const lines = [];
  let waiting = null;
  let partial = '';
  child.stdout.on('data', (d) => {
    partial += d;
    const done = partial.split('\n');
    partial = done.pop();
    lines.push(...done);
    if (waiting && lines.length) waiting();
  });
  /** The next line it prints. */
  const line = async () => {
    if (!lines.length) await withTimeout(new Promise((r) => { waiting = r; }), `a line from demo-hang ${scenario}`);
    waiting = null;
    return lines.shift();
  };
  assert.equal(await line(), 'ready');
  await until(() => threadsOf(child.pid).every((t) => calls.includes(t.syscall[0])),
    `demo-hang ${scenario} to stand still`);
  return {
    pid: child.pid,
    /** Sends `text` and returns the line it answers. */
    ask: async (text) => { child.stdin.write(`${text}\n`); return line(); },
    ended: () => withTimeout(exited, `demo-hang ${scenario} to end`),
  };
}

/** Whether process `pid` is gone (reaped or never ours). */
async function gone(pid) {
  const deadline = Date.now() + TIMEOUT;
  while (Date.now() < deadline) {
    let stat;
    try {
      process.kill(pid, 0);
      stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    } catch {
      return true;
    }
    if (stat.split(') ')[1].startsWith('Z')) return true;
    await new Promise((r) => setTimeout(r, 10));
  }
  return false;
}

describe('pmdb dap', () => {
  it('attaches by pid and shows the bank crash: threads, frames, values, evaluate, exceptionInfo; disconnect resumes', async () => {
    const demo = await crash('bank');
    const dc = await adapter();
    const init = await dc.initializeRequest();
    assert.deepEqual(init.body, {
      supportsConfigurationDoneRequest: true,
      supportsExceptionInfoRequest: true,
      supportsDelayedStackTraceLoading: true,
      supportsEvaluateForHovers: true,
      supportTerminateDebuggee: true,
      supportsTerminateRequest: true,
      supportsVariablePaging: true,
      supportsValueFormattingOptions: false,
    });
    dc._supportsConfigurationDoneRequest = true;
    const process_ = dc.waitForEvent('process');
    const [, , stopped] = await Promise.all([
      dc.configurationSequence(),
      dc.attachRequest({ pid: demo.pid, pmdbDir: demo.dir }),
      dc.waitForEvent('stopped'),
    ]);
    assert.deepEqual((await process_).body, {
      name: 'demo', systemProcessId: demo.pid, isLocalProcess: true, startMethod: 'attach',
    });
    const tid = stopped.body.threadId;
    assert.deepEqual(stopped.body, {
      reason: 'exception',
      description: 'insufficient funds: bob has 75 but round 1 needs 500',
      text: 'panic',
      threadId: tid,
      allThreadsStopped: true,
    });
    assert.deepEqual((await dc.threadsRequest()).body.threads, [{ id: tid, name: 'main' }]);

    // Delayed loading: one frame, then the rest, with the total each time.
    const all = await frames(dc, tid);
    const first = await dc.stackTraceRequest({ threadId: tid, startFrame: 0, levels: 1 });
    assert.equal(first.body.stackFrames.length, 1);
    assert.equal(first.body.totalFrames, all.length);
    const rest = await dc.stackTraceRequest({ threadId: tid, startFrame: 1, levels: Number.MAX_SAFE_INTEGER });
    assert.deepEqual(rest.body.stackFrames, all.slice(1));
    assert.equal(rest.body.totalFrames, all.length);
    const user = all.filter((f) => f.presentationHint !== 'subtle');
    assert.deepEqual(user.map((f) => f.name).slice(0, 5), [
      'demo::bank::withdraw', 'demo::bank::transfer', 'demo::bank::settle', 'demo::bank::run', 'demo::main',
    ]);
    // The panic machinery above the user's frames is there, but subtle.
    assert.equal(all[0].presentationHint, 'subtle');
    const withdraw = user[0];
    assert.deepEqual([withdraw.source.path, withdraw.source.name, withdraw.line, withdraw.column], [BANK_RS, 'bank.rs', 63, 9]);
    assert.equal(user[2].line, 48);

    // The crashed frame's locals, exactly as `pmdb report` prints them.
    const vars = await locals(dc, withdraw.id);
    assert.deepEqual(vars.map(line), [
      'account: &Account = Account { id: 2, owner: "bob", balance: 50, history: [50], overdraft: Some(25) }',
      'amount: i64 = 500',
      'memo: &str = "round 1"',
      'limit: i64 = 75',
    ]);
    assert.deepEqual(vars.map((v) => v.evaluateName), ['account', 'amount', 'memo', 'limit']);
    const [account, amount] = vars;
    assert.equal(amount.variablesReference, 0);
    // A reference to a struct expands to the struct's fields, as in the
    // TUI; its count is not known before it is expanded.
    assert.equal(account.namedVariables, undefined);
    const fields = await children(dc, account);
    assert.deepEqual(fields.map(line), [
      'id: u32 = 2', 'owner: String = "bob"', 'balance: i64 = 50', 'history: Vec<i64> = [50]', 'overdraft: Option<i64> = Some(25)',
    ]);
    assert.deepEqual(fields.map((f) => f.evaluateName), [
      'account.id', 'account.owner', 'account.balance', 'account.history', 'account.overdraft',
    ]);
    const history = fields[3];
    assert.equal(history.indexedVariables, 1);
    const [h0] = await children(dc, history, { filter: 'indexed', start: 0, count: 1 });
    assert.deepEqual([line(h0), h0.evaluateName], ['[0]: i64 = 50', 'account.history[0]']);
    const [some] = await children(dc, fields[4]);
    assert.deepEqual([line(some), some.evaluateName], ['0: i64 = 25', 'account.overdraft.0']);

    // Every evaluateName evaluates to the value it names.
    for (const v of [account, ...fields, h0, some]) {
      const r = await dc.evaluateRequest({ expression: v.evaluateName, frameId: withdraw.id, context: 'watch' });
      assert.deepEqual([r.body.result, r.body.type], [v.value, v.type], v.evaluateName);
    }
    // Hover, and a frame further up.
    const hover = await dc.evaluateRequest({ expression: 'account.owner', frameId: withdraw.id, context: 'hover' });
    assert.deepEqual(hover.body, { result: '"bob"', type: 'String', variablesReference: 0 });
    const transfer = user[1];
    const accounts = await dc.evaluateRequest({ expression: 'bank.accounts', frameId: transfer.id, context: 'watch' });
    assert.equal(accounts.body.type, 'Vec<Account>');
    assert.equal(accounts.body.indexedVariables, 2);
    const [alice] = await children(dc, accounts.body, { filter: 'indexed', start: 0, count: 1 });
    assert.equal(alice.evaluateName, 'bank.accounts[0]');
    assert.equal(alice.value, 'Account { id: 1, owner: "alice", balance: 100, history: [100, -20, 20], overdraft: None }');
    await assert.rejects(
      dc.evaluateRequest({ expression: 'nosuch', frameId: withdraw.id, context: 'watch' }),
      { message: 'no local or static named `nosuch` (column 1)' },
    );
    await assert.rejects(
      dc.evaluateRequest({ expression: 'account.', frameId: withdraw.id, context: 'hover' }),
      { message: 'expected a field, a tuple index or a method after `.`, found the end (column 9)' },
    );

    // The repl takes pmdb's commands too, where the frame asked stands.
    const bt = await dc.evaluateRequest({ expression: 'bt', frameId: withdraw.id, context: 'repl' });
    const btLines = bt.body.result.split('\n');
    assert.equal(btLines.length, all.length);
    // The current frame (the one asked) is marked.
    assert.deepEqual(btLines.filter((l) => l.startsWith('>')).map((l) => l.replace(/#\d+/, '#N')),
      [`> #N demo::bank::withdraw at ${BANK_RS}:63`], bt.body.result);
    const threads = await dc.evaluateRequest({ expression: 'threads', frameId: withdraw.id, context: 'repl' });
    assert.equal(threads.body.result, '* 0 main (crashed)');
    const p = await dc.evaluateRequest({ expression: 'p account.history', frameId: withdraw.id, context: 'repl' });
    assert.deepEqual([p.body.result, p.body.type, p.body.indexedVariables], ['[50]', 'Vec<i64>', 1]);
    const label = await dc.evaluateRequest({ expression: 'label', frameId: user[2].id, context: 'repl' });
    assert.equal(label.body.result, '"round 1"');
    await assert.rejects(
      dc.evaluateRequest({ expression: 'frame nosuch', frameId: withdraw.id, context: 'repl' }),
      { message: 'no frame "nosuch" (bt lists them)' },
    );

    const info = await dc.exceptionInfoRequest({ threadId: tid });
    assert.equal(info.body.exceptionId, 'panic');
    assert.equal(info.body.breakMode, 'always');
    assert.equal(info.body.description,
      "thread 'main' panicked at demo/src/bank.rs:63:9: insufficient funds: bob has 75 but round 1 needs 500");
    assert.equal(info.body.details.message, 'insufficient funds: bob has 75 but round 1 needs 500');
    assert.equal(info.body.details.typeName, 'String');
    assert.equal(info.body.details.stackTrace.split('\n').filter(Boolean).length, all.length);
    assert.ok(info.body.details.stackTrace.includes(` demo::bank::withdraw at ${BANK_RS}:63\n`), info.body.details.stackTrace);

    // A crashed program cannot step; the editor is told why.
    await assert.rejects(dc.nextRequest({ threadId: tid }), {
      message: 'next is not possible: pmdb inspects a crashed program, which cannot run on; disconnect to let it end',
    });

    // Disconnect without terminateDebuggee: the program ends as it would have.
    await dc.disconnectRequest({});
    const end = await demo.ended();
    assert.deepEqual([end.code, end.signal], [101, null]);
    assert.ok(end.stderr.includes('panicked at demo/src/bank.rs:63:9:\ninsufficient funds: bob has 75 but round 1 needs 500\n'), end.stderr);
  });

  it('pages a 10M-element Vec and shows lying memory; disconnect with terminateDebuggee kills', async () => {
    const demo = await crash('corrupt');
    const dc = await adapter();
    const stopped = await attach(dc, { socket: demo.socket });
    assert.equal(stopped.body.description, 'memory lies here');
    const run = await frameNamed(dc, stopped.body.threadId, 'demo::corrupt::run');
    const vars = await locals(dc, run.id);
    const words = vars.find((v) => v.name === 'words');
    assert.match(words.value, /^0x7ff[0-9a-f]+$/);
    assert.deepEqual(vars.map((v) => (v === words ? 'words' : line(v))), [
      'huge: Vec<u64> = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, ..]',
      'garbage: *const (u32, u32) = 0xdead',
      'words',
      'dangling: ManuallyDrop<Rc<u32>> = ManuallyDrop { value: <unreadable memory at 0x50> }',
      'a: Rc<RefCell<Ring>> = RefCell { value: Ring { id: 1, next: Some(RefCell { .. }) } }',
      'b: Rc<RefCell<Ring>> = RefCell { value: Ring { id: 2, next: Some(RefCell { .. }) } }',
      'lying: ManuallyDrop<Vec<u8>> = ManuallyDrop { value: <length 1152921504606846976 looks corrupt> }',
      'lying (shadowed): Vec<u8> = <length 1152921504606846976 looks corrupt>',
    ]);
    // The shadowed binding (listed after the visible one) has no expression
    // that reaches it; the visible one has.
    assert.deepEqual(vars.map((v) => v.evaluateName),
      ['huge', 'garbage', 'words', 'dangling', 'a', 'b', 'lying', undefined]);
    const byName = Object.fromEntries(vars.filter((v) => v.evaluateName).map((v) => [v.name, v]));
    const shadowed = vars[7];
    const huge = byName.huge;
    assert.deepEqual([huge.type, huge.value, huge.indexedVariables, huge.namedVariables],
      ['Vec<u64>', '[0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, ..]', 10000000, undefined]);
    // VS Code asks for named members and then pages of indexed ones.
    assert.deepEqual(await children(dc, huge, { filter: 'named' }), []);
    const tail = await children(dc, huge, { filter: 'indexed', start: 9999998, count: 100 });
    assert.deepEqual(tail.map(line), ['[9999998]: u64 = 9999998', '[9999999]: u64 = 9999999']);
    assert.deepEqual(tail.map((v) => v.evaluateName), ['huge[9999998]', 'huge[9999999]']);
    const middle = await children(dc, huge, { filter: 'indexed', start: 5000000, count: 3 });
    assert.deepEqual(middle.map(line), ['[5000000]: u64 = 5000000', '[5000001]: u64 = 5000001', '[5000002]: u64 = 5000002']);
    const page = await children(dc, huge, { filter: 'indexed', start: 0, count: 100 });
    assert.equal(page.length, 100);
    assert.equal(line(page[99]), '[99]: u64 = 99');
    const last = await dc.evaluateRequest({ expression: 'huge[9999999]', frameId: run.id, context: 'watch' });
    assert.equal(last.body.result, '9999999');

    assert.equal(shadowed.variablesReference, 0);
    const [inner] = await children(dc, byName.lying);
    assert.deepEqual([line(inner), inner.evaluateName],
      ['value: MaybeDangling<Vec<u8>> = <length 1152921504606846976 looks corrupt>', 'lying.value']);
    const viaPath = await dc.evaluateRequest({ expression: 'lying.value', frameId: run.id, context: 'watch' });
    assert.equal(viaPath.body.result, '<length 1152921504606846976 looks corrupt>');
    assert.equal(line(byName.garbage), 'garbage: *const (u32, u32) = 0xdead');
    const [target] = await children(dc, byName.garbage);
    assert.deepEqual([line(target), target.evaluateName], ['*: (u32, u32) = <unreadable memory at 0xdead>', '*garbage']);
    // The cycle a → b → a expands as far as one cares to click.
    const id = await dc.evaluateRequest({ expression: 'a.value.next.0.value.next.0.value.id', frameId: run.id, context: 'watch' });
    assert.equal(id.body.result, '1');

    await dc.disconnectRequest({ terminateDebuggee: true });
    const end = await demo.ended();
    assert.deepEqual([end.code, end.signal], [null, 'SIGKILL']);
  });

  it('names every child of std collections with an expression evaluate accepts', async () => {
    const demo = await crash('collections');
    const dc = await adapter();
    const stopped = await attach(dc, { pid: demo.pid, pmdbDir: demo.dir });
    const run = await frameNamed(dc, stopped.body.threadId, 'demo::collections::run');
    const vars = await locals(dc, run.id);
    const byName = Object.fromEntries(vars.map((v) => [v.name, v]));
    const [ann] = await children(dc, byName.scores);
    assert.deepEqual([line(ann), ann.evaluateName], ['"ann": i32 = 90', 'scores["ann"]']);
    const entry = await children(dc, ann);
    assert.deepEqual(entry.map((v) => [line(v), v.evaluateName]),
      [['key: String = "ann"', undefined], ['value: i32 = 90', 'scores["ann"]']]);
    assert.equal(byName.ordered.indexedVariables, 30);
    const page = await children(dc, byName.ordered, { filter: 'indexed', start: 10, count: 2 });
    assert.deepEqual(page.map((v) => [line(v), v.evaluateName]),
      [['11: &str = "odd"', 'ordered[11]'], ['12: &str = "even"', 'ordered[12]']]);
    // Every named child, two levels down, evaluates to what the tree shows.
    let checked = 0;
    const walk = async (v, depth) => {
      if (v.evaluateName !== undefined) {
        const r = await dc.evaluateRequest({ expression: v.evaluateName, frameId: run.id, context: 'watch' });
        assert.deepEqual([r.body.result, r.body.type], [v.value, v.type], v.evaluateName);
        checked += 1;
      }
      if (depth > 0 && v.variablesReference > 0) {
        for (const c of await children(dc, v, { start: 0, count: 20 })) await walk(c, depth - 1);
      }
    };
    for (const v of vars) await walk(v, 2);
    assert.ok(checked > 100, `${checked}`);
    await dc.disconnectRequest({ terminateDebuggee: true });
  });

  it('maps sources through sourceMap, asks the crashed program for the rest, says plainly when neither has it', async () => {
    const demo = await crash('bank');
    const copy = tempDir('sources');
    fs.mkdirSync(path.join(copy, 'src'));
    fs.copyFileSync(BANK_RS, path.join(copy, 'src', 'bank.rs'));
    const dc = await adapter();
    const stopped = await attach(dc, {
      pid: demo.pid, pmdbDir: demo.dir,
      sourceMap: { [path.join(ROOT, 'demo')]: copy, [path.join(ROOT, 'demo', 'src', 'main.rs')]: '/nonexistent/main.rs' },
    });
    const all = await frames(dc, stopped.body.threadId);
    const withdraw = all.find((f) => f.name === 'demo::bank::withdraw');
    assert.deepEqual(withdraw.source, { name: 'bank.rs', path: path.join(copy, 'src', 'bank.rs') });
    // main.rs is mapped nowhere here: the crashed program sends its copy.
    const main = all.find((f) => f.name === 'demo::main');
    const mainRs = path.join(ROOT, 'demo', 'src', 'main.rs');
    assert.deepEqual([main.source.name, main.source.path, main.source.origin], ['main.rs', mainRs, 'not on this machine']);
    assert.ok(main.source.sourceReference > 0);
    const served = await dc.sourceRequest({ source: main.source, sourceReference: main.source.sourceReference });
    assert.equal(served.body.content, fs.readFileSync(mainRs, 'utf8'));
    // The standard library's sources are on neither machine.
    const std = all.find((f) => f.source && f.source.path.startsWith('/rustc/'));
    assert.ok(std.source.sourceReference > 0);
    await assert.rejects(dc.sourceRequest({ source: std.source, sourceReference: std.source.sourceReference }), {
      message: `no copy of ${std.source.path} is on this machine, and the crashed program could not send one (${std.source.path}: No such file or directory (os error 2)); a "sourceMap" in the configuration can point to a local copy`,
    });
    await dc.disconnectRequest({ terminateDebuggee: true });
  });

  it('shows a fatal signal as the exception; disconnect lets the signal kill the program', async () => {
    const demo = await crash('segv');
    const dc = await adapter();
    const stopped = await attach(dc, { pid: demo.pid, pmdbDir: demo.dir });
    assert.deepEqual([stopped.body.reason, stopped.body.text, stopped.body.description],
      ['exception', 'SIGSEGV', 'SIGSEGV (address not mapped) at 0x0']);
    const info = await dc.exceptionInfoRequest({ threadId: stopped.body.threadId });
    assert.deepEqual([info.body.exceptionId, info.body.breakMode, info.body.details.message, info.body.details.typeName],
      ['SIGSEGV', 'always', 'SIGSEGV (address not mapped) at 0x0', undefined]);
    assert.equal(info.body.description,
      `thread 'main' received a fatal signal at ${path.join(ROOT, 'demo', 'src', 'signals.rs')}:27:14: SIGSEGV (address not mapped) at 0x0`);
    await dc.disconnectRequest({});
    const end = await demo.ended();
    assert.deepEqual([end.code, end.signal], [null, 'SIGSEGV']);
  });

  it('opens a core file the agent saved, with the same frames and values', async () => {
    const dir = tempDir('core');
    const run = cp.spawnSync(DEMO, ['bank'], {
      cwd: ROOT,
      env: { ...process.env, PMDB_MODE: 'core', PMDB_DIR: dir, RUST_BACKTRACE: '0' },
      encoding: 'utf8',
      timeout: TIMEOUT,
    });
    assert.equal(run.status, 101, run.stderr);
    const saved = run.stderr.match(/pmdb: saved the crash to (\S+) /);
    assert.ok(saved, run.stderr);
    const core = saved[1];
    assert.ok(fs.existsSync(core), core);
    const dc = await adapter();
    const processEvent = dc.waitForEvent('process');
    const stopped = await attach(dc, { core, program: DEMO });
    assert.deepEqual((await processEvent).body, { name: 'demo', isLocalProcess: false, startMethod: 'attach' });
    assert.deepEqual([stopped.body.reason, stopped.body.text, stopped.body.description],
      ['exception', 'panic', 'insufficient funds: bob has 75 but round 1 needs 500']);
    const withdraw = await frameNamed(dc, stopped.body.threadId, 'demo::bank::withdraw');
    assert.deepEqual([withdraw.source.path, withdraw.line], [BANK_RS, 63]);
    // A core's frames have their registers too, as the unwinder recovers them.
    const regs = await registers(dc, withdraw.id);
    assert.equal(BigInt(regs.rip.value), BigInt(withdraw.instructionPointerReference));
    assert.deepEqual((await locals(dc, withdraw.id)).map(line), [
      'account: &Account = Account { id: 2, owner: "bob", balance: 50, history: [50], overdraft: Some(25) }',
      'amount: i64 = 500',
      'memo: &str = "round 1"',
      'limit: i64 = 75',
    ]);
    const owner = await dc.evaluateRequest({ expression: 'account.history[0]', frameId: withdraw.id, context: 'watch' });
    assert.equal(owner.body.result, '50');
    const info = await dc.exceptionInfoRequest({ threadId: stopped.body.threadId });
    assert.equal(info.body.details.typeName, 'String');
    await assert.rejects(dc.attachRequest({ core: path.join(dir, 'nosuch.core'), program: DEMO }), {
      message: 'this session is already attached',
    });
    await dc.disconnectRequest({ terminateDebuggee: true });
  });

  it('attaches through a command (via: pmdb bridge), as on another machine; terminateDebuggee is the agent\'s kill', async () => {
    const demo = await crash('bank');
    const dc = await adapter();
    const processEvent = dc.waitForEvent('process');
    const stopped = await attach(dc, { via: `${PMDB} bridge ${demo.socket}` });
    assert.deepEqual((await processEvent).body, { name: 'demo', isLocalProcess: false, startMethod: 'attach' });
    assert.equal(stopped.body.description, 'insufficient funds: bob has 75 but round 1 needs 500');
    const withdraw = await frameNamed(dc, stopped.body.threadId, 'demo::bank::withdraw');
    assert.deepEqual((await locals(dc, withdraw.id)).map(line).slice(1), [
      'amount: i64 = 500', 'memo: &str = "round 1"', 'limit: i64 = 75',
    ]);
    await dc.disconnectRequest({ terminateDebuggee: true });
    const end = await demo.ended();
    // Killed by its agent: at once, with the usual panic output and status.
    assert.deepEqual([end.code, end.signal], [101, null]);
    assert.ok(end.stderr.includes('insufficient funds: bob has 75 but round 1 needs 500'), end.stderr);

    const failing = await adapter();
    await failing.initializeRequest();
    const gone = path.join(demo.dir, 'gone.sock');
    await assert.rejects(failing.attachRequest({ via: `${PMDB} bridge ${gone}` }), {
      message: `cannot attach: ${PMDB} bridge ${gone}: pmdb: cannot reach the agent at ${gone}: No such file or directory (os error 2) (exit status 2)`,
    });
    await failing.disconnectRequest({});
  });

  it('waits for the next crash (waitFor) and ends it with terminate', async () => {
    const dir = tempDir('waitfor');
    const dc = await adapter();
    await dc.initializeRequest();
    dc._supportsConfigurationDoneRequest = true;
    const stopped = dc.waitForEvent('stopped');
    await Promise.all([dc.configurationSequence(), dc.attachRequest({ waitFor: true, pmdbDir: dir })]);
    assert.deepEqual((await dc.threadsRequest()).body.threads, []);
    const demo = await crash('threads', dir);
    const s = await stopped;
    assert.deepEqual([s.body.description, s.body.text], ['checker saw 2 items, limit 3', 'panic']);
    const names = (await dc.threadsRequest()).body.threads.map((t) => t.name).sort();
    assert.deepEqual(names, ['checker', 'main', 'worker-1', 'worker-2']);
    const terminated = dc.waitForEvent('terminated');
    await dc.terminateRequest({});
    await terminated;
    const end = await demo.ended();
    assert.deepEqual([end.code, end.signal], [null, 'SIGKILL']);
    await dc.disconnectRequest({});
  });

  it('launches a program: stops at its crash, or reports its exit', async () => {
    const dc = await adapter();
    await dc.initializeRequest();
    dc._supportsConfigurationDoneRequest = true;
    const processEvent = dc.waitForEvent('process');
    const [, , stopped] = await Promise.all([
      dc.configurationSequence(),
      dc.launchRequest({ program: DEMO, args: ['bank'], cwd: ROOT, env: { RUST_BACKTRACE: '0' } }),
      dc.waitForEvent('stopped'),
    ]);
    const pid = (await processEvent).body.systemProcessId;
    assert.equal(stopped.body.description, 'insufficient funds: bob has 75 but round 1 needs 500');
    const withdraw = await frameNamed(dc, stopped.body.threadId, 'demo::bank::withdraw');
    const memo = await dc.evaluateRequest({ expression: 'memo', frameId: withdraw.id, context: 'hover' });
    assert.equal(memo.body.result, '"round 1"');
    const exited = dc.waitForEvent('exited');
    await dc.disconnectRequest({ terminateDebuggee: true });
    assert.deepEqual((await exited).body, { exitCode: 128 + 9 });
    assert.ok(await gone(pid));

    const ok = await adapter();
    await ok.initializeRequest();
    const events = Promise.all([ok.waitForEvent('exited'), ok.waitForEvent('terminated')]);
    await ok.launchRequest({ program: DEMO, args: ['ok'] });
    const [exit] = await events;
    assert.deepEqual(exit.body, { exitCode: 0 });
    await ok.disconnectRequest({});
  });

  it('leaves the crash served when the editor goes away', async () => {
    const demo = await crash('bank');
    const first = await adapter();
    await attach(first, { pid: demo.pid, pmdbDir: demo.dir });
    const adapterProcess = first._adapterProcess;
    const exited = new Promise((r) => adapterProcess.on('exit', r));
    adapterProcess.stdin.end();
    await withTimeout(exited, 'the adapter to end');
    // The program still waits, and the next editor finds it as it was.
    const second = await adapter();
    const stopped = await attach(second, { pid: demo.pid, pmdbDir: demo.dir });
    assert.equal(stopped.body.description, 'insufficient funds: bob has 75 but round 1 needs 500');
    await second.disconnectRequest({});
    const end = await demo.ended();
    assert.equal(end.code, 101);
  });

  it('reconnects when the agent closes an idle connection; what was fetched stays valid', async () => {
    const demo = await crash('bank', undefined, { PMDB_CLIENT_TIMEOUT: '1' });
    const dc = await adapter();
    const stopped = await attach(dc, { pid: demo.pid, pmdbDir: demo.dir });
    const withdraw = await frameNamed(dc, stopped.body.threadId, 'demo::bank::withdraw');
    const [account] = await locals(dc, withdraw.id);
    const idle = () => new Promise((r) => setTimeout(r, 1500));
    await idle();
    const [id] = await children(dc, account);
    assert.deepEqual([id.name, id.value, id.evaluateName], ['id', '2', 'account.id']);
    await idle();
    const owner = await dc.evaluateRequest({ expression: 'account.owner', frameId: withdraw.id, context: 'hover' });
    assert.equal(owner.body.result, '"bob"');
    await idle();
    const threads = await dc.evaluateRequest({ expression: 'threads', frameId: withdraw.id, context: 'repl' });
    assert.equal(threads.body.result, '* 0 main (crashed)');
    await idle();
    await dc.disconnectRequest({});
    const end = await demo.ended();
    assert.deepEqual([end.code, end.signal], [101, null]);
  });

  it('answers bad targets, malformed messages and unknown requests with errors it can show', async () => {
    const dir = tempDir('errors');
    const dc = await adapter();
    await dc.initializeRequest();
    // No crash waits on a socket: a pid is a running process to snapshot.
    await assert.rejects(dc.attachRequest({ pid: 999999999, pmdbDir: dir }), {
      message: 'no process has pid 999999999',
    });
    await assert.rejects(dc.attachRequest({ core: path.join(dir, 'nosuch.core'), program: DEMO }), {
      message: `no such core file: ${dir}/nosuch.core`,
    });
    await assert.rejects(dc.attachRequest({}), {
      message: 'attach needs one of "pid", "socket", "core" (with "program") or "waitFor": true',
    });
    await assert.rejects(dc.attachRequest({ pid: 'abc' }), {
      message: 'invalid arguments for attach: "abc" is not a pid',
    });
    await assert.rejects(dc.launchRequest({ program: '/nonexistent/prog' }), {
      message: 'cannot run /nonexistent/prog: No such file or directory (os error 2)',
    });
    await assert.rejects(dc.customRequest('frobnicate', {}), {
      message: 'pmdb\'s debug adapter does not handle the request "frobnicate"',
    });
    await assert.rejects(dc.variablesRequest({ variablesReference: 77 }), { message: 'no variables reference 77' });
    await assert.rejects(dc.variablesRequest({ variablesReference: -Number.MAX_SAFE_INTEGER }), {
      message: `no variables reference ${-Number.MAX_SAFE_INTEGER}`,
    });
    await assert.rejects(dc.scopesRequest({ frameId: 0 }), { message: 'no frame 0 (ask stackTrace first)' });
    await assert.rejects(dc.variablesRequest({ variablesReference: 'x' }), {
      message: 'invalid arguments for variables: invalid type: string "x", expected i64',
    });
    // Garbage on the wire is answered, and the adapter reads on.
    dc._adapterProcess.stdin.write('Content-Length: 5\r\n\r\nnope!');
    assert.deepEqual((await dc.threadsRequest()).body.threads, []);
    await dc.disconnectRequest({});
  });

  it('attaches by pid to a hung program without the agent: the deadlock, thread states, frames, locals; held until disconnect, then running untraced; terminateDebuggee kills', async () => {
    const FUTEX = '202';
    const hang = await hung('mutex', [FUTEX]);
    // Each teller sleeps on the futex word of the Mutex it waits for.
    const [, one, two] = threadsOf(hang.pid);
    const [toOne, toTwo] = [one.syscall[1], two.syscall[1]];
    const dc = await adapter();
    const processEvent = dc.waitForEvent('process');
    const holding = dc.waitForEvent('output');
    const stopped = await attach(dc, { pid: hang.pid });
    assert.deepEqual((await processEvent).body, {
      name: 'demo-hang', systemProcessId: hang.pid, isLocalProcess: true, startMethod: 'attach',
    });
    assert.deepEqual((await holding).body, {
      category: 'important',
      output: `pmdb: holding pid ${hang.pid}: every thread stopped until you disconnect, which lets it run on as it was\n`,
    });
    const transfer = '`to` in demo_hang::std_locks::transfer';
    const source = '`source` in demo_hang::std_locks::transfer';
    assert.deepEqual(stopped.body, {
      reason: 'pause',
      description: `Deadlock: thread 'teller-1' waits for Mutex<Account> at ${toOne} (${transfer}), held by thread 'teller-2' (${source}); `
        + `thread 'teller-2' waits for Mutex<Account> at ${toTwo} (${transfer}), held by thread 'teller-1' (${source})`,
      text: 'snapshot',
      threadId: hang.pid,
      allThreadsStopped: true,
    });
    // Held: every thread in a ptrace stop under the adapter.
    assertHeldBy(hang.pid, dc._adapterProcess.pid);
    assert.deepEqual((await dc.threadsRequest()).body.threads, [
      { id: hang.pid, name: 'main (blocked in futex)' },
      { id: one.tid, name: 'teller-1 (blocked in futex)' },
      { id: two.tid, name: 'teller-2 (blocked in futex)' },
    ]);
    const at = await frameNamed(dc, one.tid, 'demo_hang::std_locks::transfer');
    const stdLocks = path.join(ROOT, 'demo', 'src', 'bin', 'demo-hang', 'std_locks.rs');
    const stuckLine = fs.readFileSync(stdLocks, 'utf8').split('\n').findIndex((l) => l.includes('// stuck: transfer')) + 1;
    assert.deepEqual([at.source.path, at.line], [stdLocks, stuckLine]);
    assert.deepEqual((await locals(dc, at.id)).map(line), [
      'from: &Mutex<Account> = Mutex { data: Account { id: 1, owner: "alice", balance: 100 }, poisoned: false, .. }',
      'to: &Mutex<Account> = Mutex { data: Account { id: 2, owner: "bob", balance: 50 }, poisoned: false, .. }',
      'amount: i64 = 10',
      'source: MutexGuard<Account> = MutexGuard { lock: Mutex { data: Account { .. }, poisoned: false, .. }, poison: Guard { panicking: false } }',
    ]);
    const owner = await dc.evaluateRequest({ expression: 'to.data.owner', frameId: at.id, context: 'hover' });
    assert.equal(owner.body.result, '"bob"');
    // The innermost frame stands at the system call: every register known,
    // rdi the futex word the kernel says the thread sleeps on.
    const [innermost] = await frames(dc, one.tid);
    const regs = await registers(dc, innermost.id);
    for (const v of Object.values(regs)) assert.match(v.value, /^0x[0-9a-f]{16}$/, v.name);
    assert.equal(BigInt(regs.rip.value), BigInt(innermost.instructionPointerReference));
    assert.equal(BigInt(regs.rdi.value), BigInt(toOne));
    await assert.rejects(dc.continueRequest({ threadId: one.tid }), {
      message: 'continue is not possible: pmdb holds a snapshot of the running process; disconnect to let it run on',
    });

    // Disconnect: every thread let go before the answer, back in its futex.
    await dc.disconnectRequest({});
    assertUntouched(hang.pid);
    await until(() => threadsOf(hang.pid).every((t) => t.syscall[0] === FUTEX), 'the tellers back in futex');
    assert.deepEqual(threadsOf(hang.pid).map((t) => t.syscall[1]).slice(1), [toOne, toTwo]);

    // Another editor finds it as it was; terminateDebuggee ends it.
    const again = await adapter();
    const second = await attach(again, { pid: `${hang.pid}` });
    assert.equal(second.body.description, stopped.body.description);
    await again.disconnectRequest({ terminateDebuggee: true });
    assert.deepEqual(await hang.ended(), { code: null, signal: 'SIGKILL' });
  });

  it('a held process goes on untouched when the editor goes away or the adapter is killed', async () => {
    const hang = await hung('busy', ['0', '-1', 'running']);
    const dc = await adapter();
    const stopped = await attach(dc, { pid: hang.pid });
    assert.deepEqual([stopped.body.reason, stopped.body.description],
      ['pause', `live snapshot of pid ${hang.pid} (demo-hang) by ptrace, 2 threads`]);
    const threads = (await dc.threadsRequest()).body.threads;
    assert.deepEqual(threads.map((t) => t.name), ['main (blocked in read)', 'spinner (running)']);
    // The spinner runs on: the count it prints passes `past` (on a loaded
    // machine it may not have been scheduled yet at the first answer).
    const countsPast = async (past) => {
      const deadline = Date.now() + TIMEOUT;
      for (;;) {
        const now = BigInt(await hang.ask('count'));
        if (now > past) return now;
        assert.ok(Date.now() < deadline, `the spinner stays at ${now}`);
      }
    };
    const spun = async (client) => {
      const r = await client.evaluateRequest({ expression: 'demo_hang::place::SPUN', context: 'watch' });
      return r.body.result;
    };
    // Held: the spinner counts no further while the editor looks.
    const count = await spun(dc);
    assertHeldBy(hang.pid, dc._adapterProcess.pid);
    assert.equal(await spun(dc), count);
    // The editor goes away (the adapter's stdin closes): every thread goes on.
    const adapterProcess = dc._adapterProcess;
    const exited = new Promise((r) => adapterProcess.on('exit', r));
    adapterProcess.stdin.end();
    await withTimeout(exited, 'the adapter to end');
    assertUntouched(hang.pid);
    const after = await countsPast(BigInt(count));

    // An adapter killed while it holds the process: the kernel lets go of
    // every thread, which runs on.
    const killed = await adapter();
    await attach(killed, { pid: hang.pid });
    assertHeldBy(hang.pid, killed._adapterProcess.pid);
    const held = BigInt(await spun(killed));
    assert.ok(held >= after, `${held} >= ${after}`);
    const dead = new Promise((r) => killed._adapterProcess.on('exit', (code, signal) => r(signal)));
    killed._adapterProcess.kill('SIGKILL');
    assert.equal(await withTimeout(dead, 'the adapter to die'), 'SIGKILL');
    await until(() => threadsOf(hang.pid).every((t) => t.tracer === 0), 'the kernel to let go');
    assertUntouched(hang.pid);
    await countsPast(held);
  });

  it('refuses another user\'s running process in one line, and leaves it as it was', async () => {
    const hang = await hung('mutex', ['202']);
    // The adapter as user nobody (65534), the program as ours (root's).
    const dir = tempDir('nobody');
    fs.chmodSync(dir, 0o755);
    const asNobody = path.join(dir, 'pmdb-as-nobody');
    fs.writeFileSync(asNobody,
      `#!/bin/sh\nexec setpriv --reuid=65534 --regid=65534 --clear-groups -- ${PMDB} "$@"\n`, { mode: 0o755 });
    const dc = new DebugClient(asNobody, 'dap', 'pmdb', { cwd: ROOT }, true);
    dc.defaultTimeout = TIMEOUT;
    await dc.start();
    cleanups.push(async () => { dc.stopAdapter(); });
    await dc.initializeRequest();
    await assert.rejects(dc.attachRequest({ pid: hang.pid }), {
      message: `cannot trace pid ${hang.pid}: it belongs to uid ${process.getuid()} and pmdb runs as uid 65534; run pmdb as that user, or as root`,
    });
    assertUntouched(hang.pid);
    await dc.disconnectRequest({});
  });

  it('tells the editor of a second crash while it is attached, its frames beside the first; a later editor hears of both', async () => {
    const demo = await crash('twice-cue', undefined, {}, { stdin: true });
    const dc = await adapter();
    const stopped = stops(dc);
    await dc.initializeRequest();
    dc._supportsConfigurationDoneRequest = true;
    await Promise.all([dc.configurationSequence(), dc.attachRequest({ pid: demo.pid, pmdbDir: demo.dir })]);
    const first = await stopped.nth(1);
    const main = first.body.threadId;
    assert.deepEqual(first.body, {
      reason: 'exception', description: 'first crash', text: 'panic', threadId: main, allThreadsStopped: true,
    });
    const before = (await dc.threadsRequest()).body.threads;
    assert.equal(before.length, 2, JSON.stringify(before));
    const late = before[1].id;
    assert.deepEqual(before, [{ id: main, name: 'main' }, { id: late, name: 'late (not frozen: did not answer)' }]);
    // Running on, it has no frames to show yet.
    assert.deepEqual((await dc.stackTraceRequest({ threadId: late })).body, { stackFrames: [], totalFrames: 0 });

    // The late thread panics now, while the editor is attached.
    demo.stdin.write('go\n');
    const second = await stopped.nth(2);
    assert.deepEqual(second.body, {
      reason: 'exception',
      description: 'second crash, attempt 2',
      text: 'panic',
      threadId: late,
      allThreadsStopped: true,
      preserveFocusHint: true,
    });
    assert.deepEqual((await dc.threadsRequest()).body.threads, [{ id: main, name: 'main' }, { id: late, name: 'late' }]);
    const info = await dc.exceptionInfoRequest({ threadId: late });
    assert.deepEqual([info.body.exceptionId, info.body.description, info.body.details.message],
      ['panic', "thread 'late' panicked at demo/src/twice.rs:22:9: second crash, attempt 2", 'second crash, attempt 2']);
    const mainInfo = await dc.exceptionInfoRequest({ threadId: main });
    assert.equal(mainInfo.body.description, "thread 'main' panicked at demo/src/twice.rs:26:5: first crash");

    // Its frames are where it crashed, with their locals and registers...
    const lateUser = (await frames(dc, late)).filter((f) => f.presentationHint !== 'subtle');
    const closure = lateUser[0];
    assert.deepEqual([closure.name, closure.source.path, closure.line],
      ['demo::twice::run_on_cue::{{closure}}', TWICE_RS, 22]);
    assert.deepEqual((await locals(dc, closure.id)).map(line), ['attempt: i32 = 2']);
    const hover = await dc.evaluateRequest({ expression: 'attempt', frameId: closure.id, context: 'hover' });
    assert.deepEqual(hover.body, { result: '2', type: 'i32', variablesReference: 0 });
    assert.equal(BigInt((await registers(dc, closure.id)).rip.value), BigInt(closure.instructionPointerReference));
    // ...and the first crash's are still there beside them.
    const mainUser = (await frames(dc, main)).filter((f) => f.presentationHint !== 'subtle');
    assert.deepEqual(mainUser.map((f) => f.name).slice(0, 2), ['demo::twice::run_on_cue', 'demo::main']);
    assert.deepEqual([mainUser[0].source.path, mainUser[0].line], [TWICE_RS, 26]);
    const mainLocals = await locals(dc, mainUser[0].id);
    assert.deepEqual(mainLocals.map((v) => [v.name, v.type]), [['late', 'JoinHandle<()>']]);
    assert.equal(BigInt((await registers(dc, mainUser[0].id)).rip.value), BigInt(mainUser[0].instructionPointerReference));
    assert.equal(stopped.count(), 2);

    // An editor that attaches after both crashes is told of each, the first first.
    const adapterProcess = dc._adapterProcess;
    const exited = new Promise((r) => adapterProcess.on('exit', r));
    adapterProcess.stdin.end();
    await withTimeout(exited, 'the adapter to end');
    const next = await adapter();
    const again = stops(next);
    await next.initializeRequest();
    next._supportsConfigurationDoneRequest = true;
    await Promise.all([next.configurationSequence(), next.attachRequest({ socket: demo.socket })]);
    assert.deepEqual([(await again.nth(1)).body, (await again.nth(2)).body], [first.body, second.body]);
    const threads = await next.evaluateRequest({ expression: 'threads', context: 'repl' });
    assert.equal(threads.body.result, '* 0 main (crashed)\n  1 late (crashed)');
    await next.disconnectRequest({});
    const end = await demo.ended();
    assert.deepEqual([end.code, end.signal], [101, null]);
    assert.ok(end.stderr.includes('first crash'), end.stderr);
  });

  it('tells the editor of a second fault as its signal, wherever the fault fell against the attach', async () => {
    const demo = await crash('twice-segv');
    const dc = await adapter();
    const stopped = stops(dc);
    await dc.initializeRequest();
    dc._supportsConfigurationDoneRequest = true;
    await Promise.all([dc.configurationSequence(), dc.attachRequest({ socket: demo.socket })]);
    // The late thread faults about 300 ms after the first: before the
    // attach or after it, the editor hears the same.
    const [first, second] = [await stopped.nth(1), await stopped.nth(2)];
    const signal = 'SIGSEGV (address not mapped) at 0x0';
    const threads = (await dc.threadsRequest()).body.threads;
    assert.deepEqual(threads.map((t) => t.name), ['main', 'late']);
    const [main, late] = threads.map((t) => t.id);
    assert.deepEqual([first.body, second.body], [
      { reason: 'exception', description: signal, text: 'SIGSEGV', threadId: main, allThreadsStopped: true },
      { reason: 'exception', description: signal, text: 'SIGSEGV', threadId: late, allThreadsStopped: true, preserveFocusHint: true },
    ]);
    const write = await frameNamed(dc, late, 'demo::twice::write_through');
    assert.deepEqual((await locals(dc, write.id)).map(line).slice(1), ['value: u32 = 2']);
    const first_ = await frameNamed(dc, main, 'demo::twice::write_through');
    assert.deepEqual((await locals(dc, first_.id)).map(line).slice(1), ['value: u32 = 1']);
    const info = await dc.exceptionInfoRequest({ threadId: late });
    assert.deepEqual([info.body.exceptionId, info.body.details.message], ['SIGSEGV', signal]);
    await dc.disconnectRequest({ terminateDebuggee: true });
  });

  it('shows each frame\'s registers as the unwinder knows them, the rest unknown', async () => {
    const demo = await crash('bank');
    const dc = await adapter();
    const stopped = await attach(dc, { pid: demo.pid, pmdbDir: demo.dir });
    const all = await frames(dc, stopped.body.threadId);
    const withdraw = all.find((f) => f.name === 'demo::bank::withdraw');
    const transfer = all.find((f) => f.name === 'demo::bank::transfer');
    const inner = await registers(dc, withdraw.id);
    const outer = await registers(dc, transfer.id);
    assert.deepEqual(Object.keys(outer), [
      'rax', 'rbx', 'rcx', 'rdx', 'rdi', 'rsi', 'rbp', 'rsp', 'r8', 'r9', 'r10', 'r11', 'r12', 'r13', 'r14', 'r15', 'rip',
    ]);
    for (const v of Object.values(outer)) {
      assert.deepEqual([v.type, v.variablesReference, v.evaluateName], ['u64', 0, undefined], v.name);
    }
    // The caller's scratch registers did not survive the call: unknown, never a guess.
    assert.deepEqual(['rax', 'rcx', 'rdx', 'rdi', 'rsi', 'r8', 'r9', 'r10', 'r11'].map((r) => outer[r].value),
      Array(9).fill('<unknown>'));
    for (const r of ['rbx', 'rbp', 'rsp', 'r12', 'r13', 'r14', 'r15', 'rip']) {
      assert.match(outer[r].value, /^0x[0-9a-f]{16}$/, r);
    }
    const n = (v) => BigInt(v.value);
    // rip is each frame's pc as the stack trace gives it.
    assert.equal(n(inner.rip), BigInt(withdraw.instructionPointerReference));
    assert.equal(n(outer.rip), BigInt(transfer.instructionPointerReference));
    // rsp: the call pushed transfer's return address just below its stack
    // pointer, and withdraw's frame lies below that.
    const pushed = await dc.evaluateRequest({
      expression: `*(0x${(n(outer.rsp) - 8n).toString(16)} as *const u64)`, frameId: transfer.id, context: 'watch',
    });
    assert.equal(BigInt(pushed.body.result), n(outer.rip));
    assert.ok(n(inner.rsp) < n(outer.rsp) - 8n, `${inner.rsp.value} ${outer.rsp.value}`);
    const amount = await dc.evaluateRequest({ expression: '&amount as usize', frameId: withdraw.id, context: 'watch' });
    assert.ok(BigInt(amount.body.result) >= n(inner.rsp) && BigInt(amount.body.result) < n(outer.rsp), amount.body.result);
    await dc.disconnectRequest({ terminateDebuggee: true });
  });

  it('evaluates the expression language in hover, watch and the repl, its errors pointing at the column', async () => {
    const demo = await crash('bank');
    const dc = await adapter();
    const stopped = await attach(dc, { pid: demo.pid, pmdbDir: demo.dir });
    const withdraw = await frameNamed(dc, stopped.body.threadId, 'demo::bank::withdraw');
    const ev = async (expression, context) =>
      (await dc.evaluateRequest({ expression, frameId: withdraw.id, context })).body;
    // Hover of a plain identifier is the local's value.
    assert.deepEqual(await ev('amount', 'hover'), { result: '500', type: 'i64', variablesReference: 0 });
    assert.deepEqual(await ev('limit', 'hover'), { result: '75', type: 'i64', variablesReference: 0 });
    for (const context of ['hover', 'watch', 'repl']) {
      assert.deepEqual([(await ev('amount - limit', context)).result, (await ev('account.history.len()', context)).result,
        (await ev('account.overdraft.is_some() && amount > 100', context)).result], ['425', '1', 'true'], context);
    }
    const filtered = await ev('account.history.filter(|h| *h > 10)', 'watch');
    assert.deepEqual([filtered.result, filtered.indexedVariables], ['[50]', 1]);
    // Errors: the message, and the column in what the editor sent.
    const rejects = (expression, context, message) =>
      assert.rejects(dc.evaluateRequest({ expression, frameId: withdraw.id, context }), { message }, `${context}: ${expression}`);
    await rejects('amount - ', 'watch', 'expected an expression, found the end (column 9)');
    await rejects('  nosuch', 'watch', 'no local or static named `nosuch` (column 3)');
    await rejects('account.ownr', 'hover', '&Account has no field `ownr` (it has: id, owner, balance, history, overdraft) (column 9)');
    await rejects('amount / 0', 'watch', 'attempt to divide by zero (column 8)');
    // The debug console shows the line again, a caret under the column.
    await rejects('amount + nosuch', 'repl', 'no local or static named `nosuch` (column 10)\n  amount + nosuch\n           ^');
    await rejects('p amount +', 'repl', 'expected an expression, found the end (column 9)\n  amount +\n          ^');
    await dc.disconnectRequest({ terminateDebuggee: true });
  });
});
