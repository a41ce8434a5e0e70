// The control socket, the metrics listener and `keepalived-ts status` on the real daemon: two
// directors in network namespaces (a MASTER and a BACKUP), /metrics scraped from inside a
// namespace with curl and parsed, the status screen and --json from the control socket, the
// socket removed at stop and "not running" (exit 3) after. Also the checker IPC request on a
// real child process. Needs root; uses dist/ (run after `npm run build`).
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { directorConf } from '../../src/lab/configs.js';
import { Director, ktsCli } from '../../src/lab/director.js';
import { NetLab } from '../../src/lab/netlab.js';
import { waitUntil } from '../../src/lab/watch.js';
import { skipUnless } from '../helpers/system.js';

const isRoot = process.getuid?.() === 0;
const dist = (p: string): string => join(ktsCli(), '..', p);

interface Sample { name: string; labels: Record<string, string>; value: number }

/** Enough of the text format for the assertions: samples with their labels. */
function parseProm(text: string): Sample[] {
  const out: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m) throw new Error(`bad line: ${line}`);
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[l[1]!] = l[2]!;
    out.push({ name: m[1]!, labels, value: m[3] === '+Inf' ? Infinity : Number(m[3]) });
  }
  return out;
}
const value = (s: Sample[], name: string, labels: Record<string, string> = {}): number | undefined =>
  s.find((x) => x.name === name && Object.entries(labels).every(([k, v]) => x.labels[k] === v))?.value;

/** `keepalived-ts status ARGS`: through the CLI when it dispatches `status`, else the module. */
function status(args: string[]): { rc: number; stdout: string; stderr: string } {
  const cli = readFileSync(ktsCli(), 'utf8');
  const r = /['"]status['"]/.test(cli)
    ? spawnSync(process.execPath, [ktsCli(), 'status', ...args], { encoding: 'utf8', timeout: 20_000 })
    : spawnSync(process.execPath, ['--input-type=module', '-e',
      `import { statusCommand } from ${JSON.stringify(dist('commands/status.js'))};
       process.exitCode = await statusCommand(process.argv.slice(1));`, '--', ...args], { encoding: 'utf8', timeout: 20_000 });
  return { rc: r.status ?? -1, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
}

describe.skipIf(skipUnless(isRoot, 'root'))('control socket, metrics and status (netns)', () => {
  let lab: NetLab;
  let tmp: string;
  const running: Director[] = [];
  const port = 20_000 + Math.floor(Math.random() * 40_000);

  beforeAll(() => {
    tmp = mkdtempSync(join(tmpdir(), 'kts-control-'));
    chmodSync(tmp, 0o755);
    lab = new NetLab('ktsct');
    lab.addHost({ name: 'd1', addresses: ['10.64.0.11/24'] });
    lab.addHost({ name: 'd2', addresses: ['10.64.0.12/24'] });
  });
  afterEach(() => {
    for (const d of running) d.cleanup();
    running.length = 0;
  });
  afterAll(async () => {
    await lab?.destroy();
    rmSync(tmp, { recursive: true, force: true });
  });

  const start = (host: string, priority: number, sock: string): Director => {
    const conf = directorConf({
      vrid: 64, version: 3, advertInt: 0.1, priority, vips: ['10.64.0.100/24', '10.64.0.101'],
      globals: [`metrics_listen 127.0.0.1 ${port}`, `control_socket ${sock}`],
    });
    const d = new Director(lab, host, 'kts', conf);
    running.push(d);
    return d;
  };
  const scrape = (host: string, path = '/metrics'): { rc: number; body: string; type: string } => {
    const r = lab.exec(host, 'curl', ['-s', '-m', '5', '-w', '\n%{http_code} %{content_type}', `http://127.0.0.1:${port}${path}`]);
    const cut = r.stdout.lastIndexOf('\n');
    const [code, ...type] = r.stdout.slice(cut + 1).split(' ');
    return { rc: Number(code), body: r.stdout.slice(0, cut), type: type.join(' ') };
  };

  it('scrapes keepalived_vrrp_state and the advert counters; status shows both roles; the socket goes at stop', async () => {
    const s1 = join(tmp, 'd1.sock');
    const s2 = join(tmp, 'd2.sock');
    const d1 = start('d1', 150, s1);
    await d1.state('MASTER', 10_000);
    const d2 = start('d2', 100, s2);
    await d2.state('BACKUP', 10_000);
    await waitUntil('d2 control socket', () => existsSync(s2), 5000);
    expect(statSync(s1).mode & 0o777).toBe(0o600);
    expect(statSync(s1).isSocket()).toBe(true);

    // let adverts flow for a while (advert_int 0.1 s)
    await new Promise((r) => setTimeout(r, 1000));
    const m1 = scrape('d1');
    expect(m1.rc).toBe(200);
    expect(m1.type).toBe('text/plain; version=0.0.4; charset=utf-8');
    const p1 = parseProm(m1.body);
    expect(value(p1, 'keepalived_up')).toBe(1);
    expect(value(p1, 'keepalived_vrrp_state', { iname: 'VI_1', intf: 'eth0', vrid: '64', ip_address: '10.64.0.100/24' })).toBe(2);
    expect(value(p1, 'keepalived_vrrp_state', { iname: 'VI_1', ip_address: '10.64.0.101' })).toBe(2);
    expect(value(p1, 'keepalived_advertisements_sent_total', { iname: 'VI_1', intf: 'eth0', vrid: '64' })).toBeGreaterThan(5);
    expect(value(p1, 'keepalived_become_master_total', { iname: 'VI_1' })).toBe(1);
    expect(value(p1, 'keepalived_ts_vrrp_effective_priority', { iname: 'VI_1' })).toBe(150);

    const p2 = parseProm(scrape('d2').body);
    expect(value(p2, 'keepalived_vrrp_state', { iname: 'VI_1', ip_address: '10.64.0.100/24' })).toBe(1);
    expect(value(p2, 'keepalived_advertisements_received_total', { iname: 'VI_1', vrid: '64' })).toBeGreaterThan(5);
    expect(value(p2, 'keepalived_advertisements_sent_total', { iname: 'VI_1' })).toBe(0);
    expect(value(p2, 'keepalived_ts_vrrp_advert_drops_total', { iname: 'VI_1', reason: 'ttl' })).toBe(0);

    // bad requests: JSON errors, counted in the next scrape; mutating routes are not on TCP
    const nf = scrape('d2', '/nope');
    expect(nf.rc).toBe(404);
    expect(JSON.parse(nf.body)).toMatchObject({ status: 404 });
    expect(scrape('d2', '/healthz').rc).toBe(200);
    expect(value(parseProm(scrape('d2').body), 'keepalived_ts_control_bad_requests_total', { reason: 'not-found' })).toBe(1);
    // the listener is on the namespace's loopback only
    expect(lab.exec('d1', 'curl', ['-s', '-m', '2', `http://10.64.0.11:${port}/metrics`]).rc).not.toBe(0);

    const st = status(['--socket', s2]);
    expect(st.stderr).toBe('');
    expect(st.rc).toBe(0);
    expect(st.stdout).toMatch(/^keepalived-ts: running \(pid \d+\), up \d+s, config .*keepalived\.conf\n/);
    expect(st.stdout).toMatch(/\n {2}VI_1 +eth0 +vrid 64 +BACKUP +prio 100\/100 +master 10\.64\.0\.11 \(prio 150\)\n/);
    expect(st.stdout).toContain('      VIPs: 10.64.0.100/24, 10.64.0.101\n');
    expect(st.stdout).toContain('Health checkers: none configured\n');

    const js = status(['--socket', s1, '--json']);
    expect(js.rc).toBe(0);
    const doc = JSON.parse(js.stdout);
    expect(doc.daemon.pid).toBe(d1.pid);
    expect(doc.instances[0]).toMatchObject({ name: 'VI_1', state: 'MASTER', vrid: 64, priority: { effective: 150, base: 150 }, vips: ['10.64.0.100/24', '10.64.0.101'] });
    expect(doc.instances[0].stats.advertsSent).toBeGreaterThan(5);

    // the master goes: d2 takes over, and shows it
    d1.signal('SIGTERM');
    expect(await d1.exited(10_000)).toBe(0);
    expect(existsSync(s1)).toBe(false);
    const gone = status(['--socket', s1]);
    expect(gone.rc).toBe(3);
    expect(gone.stderr).toContain(`keepalived-ts is not running (no daemon answers on ${s1})`);
    await d2.state('MASTER', 10_000);
    const after = parseProm(scrape('d2').body);
    expect(value(after, 'keepalived_vrrp_state', { iname: 'VI_1', ip_address: '10.64.0.101' })).toBe(2);
    expect(value(after, 'keepalived_priority_zero_received_total', { iname: 'VI_1' })).toBe(1);
    expect(value(after, 'keepalived_become_master_total', { iname: 'VI_1' })).toBe(1);
  });

  // runs once the daemon feeds FailoverTiming (src/daemon/vrrp-daemon.ts, effects.ts)
  const timingWired = existsSync(dist('daemon/vrrp-daemon.js')) && readFileSync(dist('daemon/vrrp-daemon.js'), 'utf8').includes('FailoverTiming');
  it.skipIf(skipUnless(timingWired, 'dist/ with FailoverTiming (npm run build)'))('failover timing: detection, VIPs installed and first GARP of a takeover', async () => {
    const d1 = start('d1', 150, join(tmp, 't1.sock'));
    await d1.state('MASTER', 10_000);
    const d2 = start('d2', 100, join(tmp, 't2.sock'));
    await d2.state('BACKUP', 10_000);
    await new Promise((r) => setTimeout(r, 500));
    d1.signal('SIGKILL'); // no priority 0: d2 waits out Master_Down_Interval
    await d2.state('MASTER', 10_000);
    const m = parseProm(scrape('d2').body);
    const det = { iname: 'VI_1' };
    expect(value(m, 'keepalived_ts_failover_detection_seconds_count', det)).toBe(1);
    // v3, advert_int 0.1 s, priority 100: 3 x 100 ms + skew 61 ms, plus scheduling
    const detection = value(m, 'keepalived_ts_failover_detection_seconds_sum', det)!;
    expect(detection).toBeGreaterThan(0.3);
    expect(detection).toBeLessThan(1.5);
    expect(value(m, 'keepalived_ts_failover_detection_seconds_bucket', { ...det, le: '0.25' })).toBe(0);
    expect(value(m, 'keepalived_ts_failover_detection_seconds_bucket', { ...det, le: '+Inf' })).toBe(1);
    expect(value(m, 'keepalived_ts_failover_vips_installed_seconds_count', det)).toBe(1);
    expect(value(m, 'keepalived_ts_failover_vips_installed_seconds_sum', det)).toBeLessThan(1);
    expect(value(m, 'keepalived_ts_failover_first_garp_seconds_count', det)).toBe(1);
    // the takeover's own burst, which goes with its first advert (it used to time the burst of
    // garp_master_delay, a second or more later)
    expect(value(m, 'keepalived_ts_failover_first_garp_seconds_sum', det)).toBeLessThan(0.01);
    d2.signal('SIGTERM');
    expect(await d2.exited(10_000)).toBe(0);
  });

  // runs once VrrpDaemon.view() fills `scripts` (from the engine's vrrp_script results)
  const scriptsWired = existsSync(dist('daemon/vrrp-daemon.js')) && readFileSync(dist('daemon/vrrp-daemon.js'), 'utf8').includes('scriptResults');
  it.skipIf(skipUnless(scriptsWired, 'dist/ with scriptResults (npm run build)'))('keepalived_script_status: 1 for a passing vrrp_script, 0 for a failing one', async () => {
    const conf = directorConf({
      vrid: 64, version: 3, advertInt: 0.1, priority: 150, vips: ['10.64.0.100/24'],
      globals: [`metrics_listen 127.0.0.1 ${port}`, `control_socket ${join(tmp, 's.sock')}`],
      trackScripts: [{ name: 'chk_ok', script: '/bin/true', interval: 1 }, { name: 'chk_bad', script: '/bin/false', interval: 1, weight: -10 }],
    });
    const d = new Director(lab, 'd1', 'kts', conf);
    running.push(d);
    await d.state('MASTER', 10_000);
    await waitUntil('both scripts ran', () => parseProm(scrape('d1').body).filter((x) => x.name === 'keepalived_script_status').length === 2, 10_000);
    const m = parseProm(scrape('d1').body);
    expect(value(m, 'keepalived_script_status', { name: 'chk_ok' })).toBe(1);
    expect(value(m, 'keepalived_script_status', { name: 'chk_bad' })).toBe(0);
    expect(value(m, 'keepalived_ts_vrrp_effective_priority', { iname: 'VI_1' })).toBe(140);
  });

  it('a stale socket file is replaced at start; a non-socket file in its place is left alone', async () => {
    const stale = join(tmp, 'stale.sock');
    // a socket whose daemon is gone
    spawnSync(process.execPath, ['-e', `require('net').createServer().listen(${JSON.stringify(stale)}, () => process.exit(0))`]);
    expect(statSync(stale).isSocket()).toBe(true);
    const d = start('d1', 150, stale);
    await d.state('MASTER', 10_000);
    await waitUntil('status answers', () => status(['--socket', stale]).rc === 0, 5000);
    d.signal('SIGTERM');
    expect(await d.exited(10_000)).toBe(0);
    expect(existsSync(stale)).toBe(false);

    const file = join(tmp, 'file.sock');
    writeFileSync(file, 'not a socket');
    const d2 = start('d1', 150, file);
    await d2.state('MASTER', 10_000); // the VRRP side runs without the control socket
    await waitUntil('the refusal logged', () => d2.watch.lines.some((l) => l.text.includes('cannot open the control socket')), 5000);
    expect(readFileSync(file, 'utf8')).toBe('not a socket');
    d2.signal('SIGTERM');
    expect(await d2.exited(10_000)).toBe(0);
  });
});

describe.skipIf(skipUnless(isRoot, 'root'))('checker IPC request (real child process, dist/)', () => {
  let tmp: string;
  beforeAll(() => {
    tmp = mkdtempSync(join(tmpdir(), 'kts-ipc-'));
  });
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  const child = async (body: string, onStarted?: () => void) => {
    const script = join(tmp, `child-${Math.random().toString(36).slice(2)}.mjs`);
    writeFileSync(script, `import { Bytes, onParentEvent, serveParent, watchParent } from ${JSON.stringify(dist('daemon/checker-child.js'))};\n${body}\n`);
    const { CheckerChild } = await import(dist('daemon/checker-child.js')) as typeof import('../../src/daemon/checker-child.js');
    const c = new CheckerChild({ cli: script, args: [], log: pino({ level: 'silent' }), restartDelayMs: 60_000, ...(onStarted ? { onStarted } : {}) });
    c.start();
    return c;
  };

  // BFD_CHECK: the parent runs the sessions and tells the child; a child that starts late (its
  // modules take a while to load) must still hear the states, so the parent sends them when the
  // child says it listens
  it('events: the parent hears "ready" once the child listens, and what it sends then arrives', async () => {
    let c: Awaited<ReturnType<typeof child>> | undefined;
    let readies = 0;
    c = await child(`
      watchParent(() => process.exit(0));
      const heard = [];
      // a slow start: the listener comes a while after the process
      await new Promise((r) => setTimeout(r, 300));
      onParentEvent((e) => heard.push(e.name + ':' + e.up));
      serveParent({ heard: () => heard });
      setInterval(() => {}, 1000);`, () => {
      readies++;
      c?.event({ type: 'bfd', name: 'b1', up: false });
    });
    try {
      await waitUntil('ready', () => readies === 1, 10_000);
      c.event({ type: 'bfd', name: 'b1', up: true });
      await new Promise((r) => setTimeout(r, 300));
      expect(await c.request<string[]>('heard', 5000)).toEqual(['b1:false', 'b1:true']);
    } finally {
      await c.stop(2000);
    }
  });

  it('answers request("view"); unknown methods and throwing handlers are errors; a silent child times out; a dead one is down', async () => {
    const c = await child(`
      watchParent(() => process.exit(0));
      let n = 0;
      serveParent({ view: () => ({ n: ++n, pid: process.pid }), boom: () => { throw new Error('bad'); }, slow: () => new Promise(() => {}) });
      setInterval(() => {}, 1000);`);
    try {
      await waitUntil('child up', () => c.pid !== undefined, 5000);
      const v1 = await c.request<{ n: number; pid: number }>('view', 5000);
      const v2 = await c.request<{ n: number; pid: number }>('view', 5000);
      expect([v1.n, v2.n, v1.pid]).toEqual([1, 2, c.pid]);
      await expect(c.request('nope', 5000)).rejects.toMatchObject({ code: 'CHECKER_REQUEST', message: "unknown request 'nope'" });
      await expect(c.request('boom', 5000)).rejects.toMatchObject({ code: 'CHECKER_REQUEST', message: 'bad' });
      const t0 = Date.now();
      await expect(c.request('slow', 300)).rejects.toMatchObject({ code: 'CHECKER_TIMEOUT' });
      expect(Date.now() - t0).toBeLessThan(2000);
      // answers still match their requests after a timeout
      expect((await c.request<{ n: number }>('view', 5000)).n).toBe(3);
      // in flight when the child dies: rejected at once, not at the timeout
      const pending = c.request('slow', 30_000);
      process.kill(c.pid!, 'SIGKILL');
      await expect(pending).rejects.toMatchObject({ code: 'CHECKER_DOWN' });
      await expect(c.request('view', 1000)).rejects.toMatchObject({ code: 'CHECKER_DOWN' });
    } finally {
      await c.stop(2000);
    }
  });

  // the metrics and status of 50,000 real servers: rendered by the child, sent on the bulk
  // pipe, never parsed by the parent (the VRRP thread)
  it('Bytes answers: large ones whole and in order, a late one skipped, values and bytes kept apart', async () => {
    const c = await child(`
      watchParent(() => process.exit(0));
      let n = 0;
      const big = (k) => 'line ' + k + ' ' + 'x'.repeat(90) + '\\n';
      serveParent({
        text: (size) => { n++; let s = ''; for (let k = 0; k < size; k++) s += big(k); return new Bytes(s); },
        late: () => new Promise((r) => setTimeout(() => r(new Bytes('late '.repeat(100000))), 500)),
        pieces: (size) => { let s = ''; for (let k = 0; k < size; k++) s += big(k); return new Bytes([Buffer.from('head\\n'), Buffer.from(s), Buffer.from('tail\\n')]); },
        value: () => ({ n }),
      });
      setInterval(() => {}, 1000);`);
    try {
      await waitUntil('child up', () => c.pid !== undefined, 5000);
      const want = (size: number): string => Array.from({ length: size }, (_, k) => `line ${k} ${'x'.repeat(90)}\n`).join('');
      const [a, b] = await Promise.all([c.requestBytes('text', 10_000, 200_000), c.requestBytes('text', 10_000, 3)]);
      expect(a.length).toBeGreaterThan(1); // it did come in chunks
      expect(Buffer.concat(a).toString()).toBe(want(200_000));
      expect(Buffer.concat(b).toString()).toBe(want(3));
      await expect(c.requestBytes('late', 100)).rejects.toMatchObject({ code: 'CHECKER_TIMEOUT' });
      await new Promise((r) => setTimeout(r, 700)); // the late frame arrives and is skipped
      expect(Buffer.concat(await c.requestBytes('text', 10_000, 2)).toString()).toBe(want(2));
      // an answer in pieces (the checker's counters and its kept servers' series) is one frame
      const [p, q] = await Promise.all([c.requestBytes('pieces', 10_000, 50_000), c.requestBytes('text', 10_000, 4)]);
      expect(Buffer.concat(p).toString()).toBe(`head\n${want(50_000)}tail\n`);
      expect(Buffer.concat(q).toString()).toBe(want(4));
      await expect(c.requestBytes('value', 5000)).rejects.toMatchObject({ code: 'CHECKER_REQUEST' });
      expect(await c.request('value', 5000)).toEqual({ n: 4 });
    } finally {
      await c.stop(2000);
    }
  });

  it('a child that does not serve requests: the request times out, nothing hangs', async () => {
    const c = await child(`watchParent(() => process.exit(0)); setInterval(() => {}, 1000);`);
    try {
      await waitUntil('child up', () => c.pid !== undefined, 5000);
      await expect(c.request('view', 300)).rejects.toMatchObject({ code: 'CHECKER_TIMEOUT' });
    } finally {
      await c.stop(2000);
    }
  });
});
