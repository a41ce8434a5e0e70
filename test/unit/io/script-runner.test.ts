// src/io/script-runner.ts: runScript (exit codes, timeouts, no shell, users, spawn failures),
// prepareScript / scriptSecurityProblem, and VrrpScriptTracker (schedule, no overlap, stop).
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { prepareScript, runScript, scriptSecurityProblem, shellCommand, isExecutable } from '../../../src/io/script-runner.js';
import { VrrpScriptTracker } from '../../../src/io/vrrp-script-tracker.js';
import { ScriptUsers, UserDb } from '../../../src/io/users.js';
import type { MachineView } from '../../../src/config/validate.js';
import { alive, captureLogger, isRoot, shScript, tempDir, waitFor } from './helpers.js';

const { dir, cleanup } = tempDir('script');
chmodSync(dir, 0o755);
afterAll(cleanup);

const self = { uid: process.geteuid!(), gid: process.getegid!() };
const users = new ScriptUsers(UserDb.parse('root:x:0:0::/root:/bin/sh\nnobody:x:65534:65534::/:/bin/false\n', 'root:x:0:\nnogroup:x:65534:\n'), { self });
const creds = { ...self, user: 'me' };
const machine = (status: ReturnType<MachineView['scriptStatus']>): MachineView => ({
  interfaceExists: () => true, isLoopback: () => false, userExists: () => true, groupExists: () => true, scriptStatus: () => status, cpuCount: () => 2, hostname: () => 'lb1',
});

describe('runScript', () => {
  it('reports the exit status', async () => {
    const { log } = captureLogger();
    const s = shScript(dir, 'exit3.sh', 'exit 3');
    const r = await runScript({ argv: [s] }, { log, users });
    expect(r).toMatchObject({ code: 3, signal: null, timedOut: false });
    expect((await runScript({ argv: [shScript(dir, 'exit0.sh', 'exit 0')] }, { log, users })).code).toBe(0);
  });

  it('passes arguments literally: no shell between the config and the script', async () => {
    const { log } = captureLogger();
    const out = join(dir, 'args.out');
    const s = shScript(dir, 'args.sh', `for a in "$@"; do printf '%s\\n' "$a"; done > ${out}`);
    const argv = [s, 'a;b', '$HOME', '`id`', 'two words', "it's", '*'];
    expect((await runScript({ argv }, { log, users })).code).toBe(0);
    expect(readFileSync(out, 'utf8')).toBe(argv.slice(1).join('\n') + '\n');
  });

  it('kills a hung script at its timeout (SIGTERM to the group) and says so', async () => {
    const { log } = captureLogger();
    const pidFile = join(dir, 'bg.pid');
    // a background grandchild in the same process group must die too
    const s = shScript(dir, 'hang.sh', `sleep 30 & echo $! > ${pidFile}; wait`);
    const t0 = Date.now();
    const r = await runScript({ argv: [s] }, { log, users, timeoutMs: 300, killAfterMs: 500 });
    expect(r.timedOut).toBe(true);
    expect(r.code).toBeNull();
    expect(r.signal).toBe('SIGTERM');
    expect(Date.now() - t0).toBeLessThan(5000);
    const bg = Number(readFileSync(pidFile, 'utf8'));
    await waitFor(() => !alive(bg), 3000);
  });

  it('SIGKILLs a script that ignores SIGTERM after killAfterMs', async () => {
    const { log } = captureLogger();
    const s = shScript(dir, 'stubborn.sh', `trap '' TERM; sleep 30`);
    const r = await runScript({ argv: [s] }, { log, users, timeoutMs: 200, killAfterMs: 300 });
    expect(r).toMatchObject({ timedOut: true, code: null, signal: 'SIGKILL' });
    expect(r.durationMs).toBeGreaterThanOrEqual(450);
  });

  it('kills with SIGKILL straight away when asked (notify_stop)', async () => {
    const { log } = captureLogger();
    const s = shScript(dir, 'stubborn2.sh', `trap '' TERM; sleep 30`);
    const r = await runScript({ argv: [s] }, { log, users, timeoutMs: 200, timeoutSignal: 'SIGKILL' });
    expect(r).toMatchObject({ timedOut: true, signal: 'SIGKILL' });
  });

  it('an abort signal terminates the script', async () => {
    const { log } = captureLogger();
    const ac = new AbortController();
    const p = runScript({ argv: [shScript(dir, 'long.sh', 'sleep 30')] }, { log, users, signal: ac.signal });
    setTimeout(() => ac.abort(), 100);
    expect(await p).toMatchObject({ aborted: true, timedOut: false, signal: 'SIGTERM' });
  });

  it('gives a result, not a throw, when the script cannot be started', async () => {
    const { log, lines } = captureLogger();
    const r = await runScript({ argv: [join(dir, 'missing.sh')] }, { log, users });
    expect(r).toMatchObject({ code: null, signal: null, timedOut: false, error: 'ENOENT' });
    const noexec = shScript(dir, 'noexec.sh', 'exit 0', 0o644);
    expect((await runScript({ argv: [noexec] }, { log, users })).error).toBe('EACCES');
    expect(lines.some((l) => l.msg === 'Error exec-ing command')).toBe(true);
    expect((await runScript({ argv: ['kts-no-such-command-x'] }, { log, users })).error).toBe('ENOENT');
  });

  it('searches PATH for a bare command name', async () => {
    const { log } = captureLogger();
    expect((await runScript({ argv: ['true'] }, { log, users })).code).toBe(0);
    expect((await runScript({ argv: ['false'] }, { log, users })).code).toBe(1);
  });

  it('runs a file without #! through /bin/sh', async () => {
    const { log } = captureLogger();
    const p = join(dir, 'noshebang');
    writeFileSync(p, 'exit 7\n');
    chmodSync(p, 0o755);
    expect((await runScript({ argv: [p] }, { log, users })).code).toBe(7);
  });

  it('runs `</file` (keepalived file-open test) through the shell', async () => {
    const { log } = captureLogger();
    expect((await runScript({ argv: ['</etc/hostname'] }, { log, users })).code).toBe(0);
    expect((await runScript({ argv: [`<${join(dir, 'nope')}`] }, { log, users })).code).not.toBe(0);
    expect(shellCommand(['</x', "a'b"])).toBe(`</x 'a'\\''b'`);
  });

  it('drains and logs output at debug, and stays quiet otherwise', async () => {
    const s = shScript(dir, 'talk.sh', 'echo hello; echo oops >&2; head -c 100000 /dev/zero');
    const dbg = captureLogger('debug');
    expect((await runScript({ argv: [s] }, { log: dbg.log, users })).code).toBe(0);
    await waitFor(() => dbg.lines.some((l) => l.msg === 'script output truncated'));
    const outputs = dbg.lines.filter((l) => l.msg === 'script output');
    expect(outputs.some((l) => l.stream === 'stdout' && String(l.output).startsWith('hello'))).toBe(true);
    expect(outputs.some((l) => l.stream === 'stderr' && l.output === 'oops\n')).toBe(true);
    expect(outputs.filter((l) => l.stream === 'stdout').reduce((n, l) => n + String(l.output).length, 0)).toBeLessThanOrEqual(4096);
    const info = captureLogger('info');
    expect((await runScript({ argv: [s] }, { log: info.log, users })).code).toBe(0);
    expect(info.lines).toEqual([]);
  });

  it.skipIf(!isRoot)('runs as the script user (nobody)', async () => {
    const { log } = captureLogger();
    const outDir = join(dir, 'nobody-out');
    mkdirSync(outDir, { mode: 0o777 });
    chmodSync(outDir, 0o777);
    const out = join(outDir, 'id.out');
    const s = shScript(dir, 'id.sh', `id -u > ${out}; id -g >> ${out}; id -G >> ${out}`);
    const r = await runScript({ argv: [s], user: 'nobody' }, { log, users: ScriptUsers.host() });
    expect(r.code).toBe(0);
    const [uid, gid, groups] = readFileSync(out, 'utf8').trim().split('\n');
    const host = ScriptUsers.host().resolve({ user: 'nobody' });
    expect(host.ok && uid === String(host.value.uid)).toBe(true);
    expect(host.ok && gid === String(host.value.gid)).toBe(true);
    expect(groups).toBe(gid); // no supplementary groups left over from root
  });

  it('refuses a script whose user does not exist', async () => {
    const { log } = captureLogger();
    const r = await runScript({ argv: ['/bin/true'], user: 'kts-nobody-here' }, { log, users });
    expect(r.error).toBe('EUSER');
  });
});

describe('prepareScript / scriptSecurityProblem', () => {
  it('resolves a bare name in PATH and keeps the arguments', () => {
    const p = prepareScript({ argv: ['true', 'x'] }, { users });
    expect(p.ok && p.value.argv[0]!.endsWith('/true') && p.value.argv[0]!.startsWith('/')).toBe(true);
    expect(p.ok && p.value.argv[1]).toBe('x');
  });

  it('names what is wrong', () => {
    expect(prepareScript({ argv: [join(dir, 'missing.sh')] }, { users })).toMatchObject({ ok: false, error: { kind: 'missing' } });
    expect(prepareScript({ argv: ['kts-no-such-command-x'] }, { users })).toMatchObject({ ok: false, error: { kind: 'missing' } });
    expect(prepareScript({ argv: ['/bin/true'], user: 'ghost' }, { users })).toMatchObject({ ok: false, error: { kind: 'user' } });
    const noexec = shScript(dir, 'noexec2.sh', 'exit 0', 0o644);
    expect(prepareScript({ argv: [noexec] }, { users })).toMatchObject({ ok: false, error: { kind: 'not-executable' } });
  });

  it('refuses an insecure script run as root only with enable_script_security', () => {
    const s = shScript(dir, 'sec.sh', 'exit 0');
    const root = { uid: 0, gid: 0, user: 'root' };
    expect(scriptSecurityProblem(s, root, true, machine('insecure'))).toMatchObject({ kind: 'insecure' });
    expect(scriptSecurityProblem(s, root, false, machine('insecure'))).toBeUndefined();
    expect(scriptSecurityProblem(s, root, true, machine('ok'))).toBeUndefined();
    // an unprivileged user may run a script that is writable by others (keepalived: no protection needed)
    const other = { uid: 12345, gid: 12345, user: 'u' };
    chmodSync(s, 0o755);
    expect(scriptSecurityProblem(s, other, true, machine('insecure'))).toBeUndefined();
    const secured = new ScriptUsers(UserDb.parse('root:x:0:0::/:/bin/sh\n', ''), { self: { uid: 0, gid: 0 }, scriptUser: { user: 'root' }, enableScriptSecurity: true });
    expect(prepareScript({ argv: [s] }, { users: secured, machine: machine('insecure') })).toMatchObject({ ok: false, error: { kind: 'insecure' } });
  });

  it.skipIf(!isRoot)('uses the real file checks of io/host-machine.ts (world-writable directory)', () => {
    const bad = join(dir, 'ww');
    mkdirSync(bad, { mode: 0o777 });
    chmodSync(bad, 0o777);
    const s = shScript(bad, 'x.sh', 'exit 0');
    expect(scriptSecurityProblem(s, { uid: 0, gid: 0, user: 'root' }, true)).toMatchObject({ kind: 'insecure' });
    chmodSync(bad, 0o755);
    expect(scriptSecurityProblem(s, { uid: 0, gid: 0, user: 'root' }, true)).toBeUndefined();
  });

  it('isExecutable follows keepalived (root: any x bit; owner; group; other)', () => {
    expect(isExecutable({ mode: 0o001, uid: 5, gid: 5 }, 0, 0)).toBe(true);
    expect(isExecutable({ mode: 0o644, uid: 5, gid: 5 }, 0, 0)).toBe(false);
    expect(isExecutable({ mode: 0o100, uid: 5, gid: 5 }, 5, 9)).toBe(true);
    expect(isExecutable({ mode: 0o011, uid: 5, gid: 5 }, 5, 5)).toBe(false);
    expect(isExecutable({ mode: 0o010, uid: 5, gid: 6 }, 7, 6)).toBe(true);
    expect(isExecutable({ mode: 0o001, uid: 5, gid: 6 }, 7, 6)).toBe(false);
    expect(isExecutable({ mode: 0o001, uid: 5, gid: 6 }, 7, 8)).toBe(true);
    void creds;
  });
});

describe('VrrpScriptTracker', () => {
  it('runs at start and every interval, never two runs at once, skipping like keepalived', async () => {
    const { log, lines } = captureLogger('info');
    const out = join(dir, 'overlap.out');
    const s = shScript(dir, 'slow.sh', `echo start >> ${out}; sleep 0.35; echo end >> ${out}`);
    const results: boolean[] = [];
    const t = new VrrpScriptTracker({ script: { name: 'chk', script: { argv: [s] }, intervalMs: 100, timeoutMs: 2000 }, users, log, onResult: (n, ok) => { expect(n).toBe('chk'); results.push(ok); } });
    expect(t.start()).toBe(true);
    await waitFor(() => results.length >= 2, 5000);
    await t.stop();
    const seq = readFileSync(out, 'utf8').trim().split('\n');
    for (let i = 0; i < seq.length; i++) expect(seq[i]).toBe(i % 2 === 0 ? 'start' : 'end');
    expect(results.every((r) => r)).toBe(true);
    expect(t.stats.skipped).toBeGreaterThan(0);
    expect(lines.some((l) => /Track script chk is already running, expect idle - skipping run/.test(l.msg))).toBe(true);
  });

  it('reports failures, timeouts (timeout defaults to the interval) and logs status changes', async () => {
    const { log, lines } = captureLogger('info');
    const flag = join(dir, 'mode');
    writeFileSync(flag, 'fail');
    const s = shScript(dir, 'mode.sh', `case "$(cat ${flag})" in fail) exit 2;; hang) sleep 30;; esac; exit 0`);
    const results: boolean[] = [];
    const t = new VrrpScriptTracker({ script: { name: 'm', script: { argv: [s] }, intervalMs: 150 }, users, log, onResult: (_n, ok) => results.push(ok), killAfterMs: 200 });
    t.start();
    await waitFor(() => results.length >= 1);
    expect(results[0]).toBe(false);
    expect(lines.some((l) => l.msg === 'Script `m` now returning 2')).toBe(true);
    writeFileSync(flag, 'ok');
    await waitFor(() => results.at(-1) === true);
    expect(lines.some((l) => l.msg === 'Script `m` now returning 0')).toBe(true);
    writeFileSync(flag, 'hang');
    await waitFor(() => t.stats.timeouts >= 1, 5000);
    expect(results.at(-1)).toBe(false);
    await t.stop();
    expect(t.running).toBe(false);
  });

  it('stop() kills a running script and reports nothing more', async () => {
    const { log } = captureLogger('info');
    const pidFile = join(dir, 'stop.pid');
    const s = shScript(dir, 'stopme.sh', `echo $$ > ${pidFile}; sleep 30`);
    const results: boolean[] = [];
    const t = new VrrpScriptTracker({ script: { name: 's', script: { argv: [s] }, intervalMs: 10_000 }, users, log, onResult: (_n, ok) => results.push(ok) });
    t.start();
    await waitFor(() => { try { return readFileSync(pidFile, 'utf8').trim() !== ''; } catch { return false; } });
    const pid = Number(readFileSync(pidFile, 'utf8'));
    await t.stop();
    expect(alive(pid)).toBe(false);
    expect(results).toEqual([]);
  });

  it('refuses to start a script that cannot run, with SCRIPT_REFUSED', () => {
    const { log, lines } = captureLogger('info');
    const t = new VrrpScriptTracker({ script: { name: 'x', script: { argv: [join(dir, 'nope.sh')] }, intervalMs: 1000 }, users, log, onResult: () => {} });
    expect(t.start()).toBe(false);
    expect(lines.find((l) => l.code === 'SCRIPT_REFUSED')?.msg).toMatch(/disabling track script x/);
  });

  it('takes its user from the `user` keyword, not from words after `script`', () => {
    const { log } = captureLogger('info');
    const s = shScript(dir, 'u.sh', 'exit 0');
    const t = new VrrpScriptTracker({ script: { name: 'u', script: { argv: [s], user: 'ghost' }, intervalMs: 60_000 }, users, log, onResult: () => {} });
    expect(t.start()).toBe(true);
    void t.stop();
    const t2 = new VrrpScriptTracker({ script: { name: 'u2', script: { argv: [s] }, intervalMs: 60_000, user: { user: 'ghost' } }, users, log, onResult: () => {} });
    expect(t2.start()).toBe(false);
  });
});
