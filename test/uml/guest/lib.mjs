// Helpers for guest-side scenario scripts (run by node inside the UML guest): shell commands,
// `ipvsadm -Ln` parsed into a table, waiting for a condition, and a step log the host test
// reads back from $UML_OUT/steps.json.
import { spawn, spawnSync } from 'node:child_process';
import { appendFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const OUT = process.env.UML_OUT ?? '/tmp';

/** A shell command's stdout; throws on a non-zero exit or when it runs longer than `timeoutMs`. */
export function sh(cmd, timeoutMs = 30_000) {
  const r = spawnSync('bash', ['-c', cmd], { encoding: 'utf8', timeout: timeoutMs, killSignal: 'SIGKILL' });
  if (r.error?.code === 'ETIMEDOUT') {
    diagnose(`${cmd}: still running after ${timeoutMs} ms`);
    throw new Error(`${cmd}: timed out after ${timeoutMs} ms (see diag.txt)`);
  }
  if (r.status !== 0) throw new Error(`${cmd}: rc ${r.status}: ${r.stderr}`);
  return r.stdout;
}

/**
 * Appends what the guest is doing to $UML_OUT/diag.txt: every task's state and wait channel,
 * the kernel stacks of the blocked (D) ones, and the end of the kernel log. Called when a
 * command hangs, so that a hang in CI says where the kernel was stuck.
 */
export function diagnose(why) {
  const run = (c) => spawnSync('bash', ['-c', c], { encoding: 'utf8', timeout: 10_000 }).stdout ?? '';
  const text = [
    `=== ${new Date().toISOString()} ${why}`,
    run('ps -eo pid,stat,wchan:32,etimes,args'),
    run('for p in $(ps -eo pid=,stat= | awk \'$2 ~ /D/ {print $1}\'); do echo "--- $p $(cat /proc/$p/comm)"; cat /proc/$p/stack 2>&1; done'),
    run('dmesg | tail -n 60'),
  ].join('\n');
  appendFileSync(join(OUT, 'diag.txt'), `${text}\n`);
}

export const sleep = (ms) => new Promise((res) => setTimeout(res, ms));

/** Whether a child process has ended. */
export const exited = (c) => c.exitCode !== null || c.signalCode !== null;

/** SIGTERM, SIGKILL after 10 s; resolves once the child is gone. */
export async function stop(child) {
  if (exited(child)) return;
  const gone = new Promise((r) => child.on('exit', r));
  child.kill('SIGTERM');
  await Promise.race([gone, sleep(10_000)]);
  if (!exited(child)) child.kill('SIGKILL');
  await sleep(300);
}

/** Polls until `pred` holds (or `ms` passes). */
export async function until(pred, ms) {
  const t0 = Date.now();
  while (!pred() && Date.now() - t0 < ms) await sleep(200);
  return pred();
}

/**
 * `ipvsadm -Ln` as { 'TCP 10.0.0.1:80': { sched: 'rr', flags: '...', dests: { '10.0.1.1:80': { fwd: 'Masq', weight: 1 } } } }.
 */
export function ipvsTable() {
  const text = sh('ipvsadm -Ln');
  const table = {};
  let cur;
  for (const line of text.split('\n')) {
    let m = /^(TCP|UDP|SCTP|FWM)\s+(\S+)\s+(\S+)(?:\s+(.*))?$/.exec(line);
    if (m) {
      cur = { sched: m[3], flags: (m[4] ?? '').trim(), dests: {} };
      table[`${m[1]} ${m[2]}`] = cur;
      continue;
    }
    m = /^\s+->\s+(\S+)\s+(\S+)\s+(\d+)\s+\d+\s+\d+/.exec(line);
    if (m && cur) cur.dests[m[1]] = { fwd: m[2], weight: Number(m[3]) };
  }
  return table;
}

/** A compact one-line view of the destinations: 'TCP 10.0.0.1:80 -> 10.0.1.1:80 w1, ...'. */
export function describe(table) {
  return Object.entries(table)
    .map(([k, s]) => `${k} ${s.sched}: ${Object.entries(s.dests).map(([d, v]) => `${d}/${v.fwd}/w${v.weight}`).join(' ') || '(none)'}`)
    .join('; ');
}

export async function waitFor(what, pred, timeoutMs = 15_000) {
  const t0 = Date.now();
  let last;
  while (Date.now() - t0 < timeoutMs) {
    last = ipvsTable();
    if (pred(last)) return { ok: true, ms: Date.now() - t0, table: last };
    await sleep(100);
  }
  return { ok: false, ms: Date.now() - t0, table: last, what };
}

/** Polls `snap()` until `pred` holds of it (or `ms` passes); returns the last snapshot. */
export async function settleOn(snap, pred, ms = 15_000) {
  const t0 = Date.now();
  let s = snap();
  while (!pred(s) && Date.now() - t0 < ms) {
    await sleep(200);
    s = snap();
  }
  return s;
}

const steps = [];
export function record(name, result, extra = {}) {
  steps.push({ name, ok: result.ok, ms: result.ms, table: result.table ? describe(result.table) : undefined, ...extra });
  writeFileSync(join(OUT, 'steps.json'), JSON.stringify(steps, null, 1));
}

/**
 * Start a long-running process; its output goes to $UML_OUT/NAME.log; `child.ready` resolves
 * when it prints "ready" (or exits). `stdin: 'pipe'` for one that reads commands; `env` replaces the
 * environment. Returns the child.
 */
export function start(name, cmd, args, stdin = 'ignore', env = process.env) {
  const child = spawn(cmd, args, { stdio: [stdin, 'pipe', 'pipe'], env });
  const chunks = [];
  const save = () => writeFileSync(join(OUT, `${name}.log`), Buffer.concat(chunks));
  child.stdout.on('data', (d) => { chunks.push(d); save(); });
  child.stderr.on('data', (d) => { chunks.push(d); save(); });
  child.ready = new Promise((res) => {
    const on = (d) => { if (String(d).includes('ready')) { child.stdout.off('data', on); res(); } };
    child.stdout.on('data', on);
    child.on('exit', res);
  });
  return child;
}
