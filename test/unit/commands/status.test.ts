// `keepalived-ts status` (src/commands/status.ts): the screen rendered from a fixture status
// document, --json, the exit statuses of systemctl status; and the control server it talks to
// (src/control/server.ts) on a Unix socket in a temp directory: the route table, JSON errors
// for bad requests (counted), local-only routes, a checker that does not answer.
import { mkdtempSync, rmSync, statSync, writeFileSync, existsSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ControlServer, matchPath, type StatusDoc } from '../../../src/control/server.js';
import { checkerStatusJson } from '../../../src/control/status-doc.js';
import { controlRequest, formatDuration, renderStatus, statusCommand } from '../../../src/commands/status.js';
import type { VrrpView } from '../../../src/daemon/view.js';

const log = pino({ level: 'silent' });

const DOC: StatusDoc = {
  daemon: { pid: 4242, configFile: '/etc/keepalived/keepalived.conf', startedAt: '2026-11-22T06:00:00.000Z', uptimeSeconds: 7384, reloads: 3, lastReloadAt: '2026-11-22T07:00:00.000Z' },
  instances: [
    {
      name: 'VI_1', interface: 'eth0', baseInterface: 'eth0', vrid: 51, version: 3, family: 'inet', state: 'MASTER', wantState: 'MASTER',
      priority: { effective: 150, base: 150 }, vips: ['10.0.0.100', '10.0.1.100/24'], excludedVips: [], syncGroup: 'G1',
      stats: { advertsSent: 100, advertsReceived: 2, becomeMaster: 1, releaseMaster: 0, sendErrors: 0, rxErrors: {} },
    },
    {
      name: 'VI_2', interface: 'vrrp.52', baseInterface: 'eth1', vrid: 52, version: 2, family: 'inet', state: 'BACKUP', wantState: 'BACKUP',
      priority: { effective: 90, base: 100 }, master: { address: '10.0.0.12', priority: 200 }, vips: ['10.0.2.100'], excludedVips: ['fe80::1/64'],
      stats: { advertsSent: 0, advertsReceived: 300, becomeMaster: 0, releaseMaster: 0, sendErrors: 0, rxErrors: {} },
    },
  ],
  syncGroups: [{ name: 'G1', state: 'MASTER', members: ['VI_1'] }],
  checker: {
    state: 'up', pid: 4243, reloads: 1, restarts: 0,
    virtualServers: [{
      name: '10.0.0.100:80', protocol: 'TCP', scheduler: 'wrr', lbKind: 'NAT', quorumUp: true, sorryActive: false, suspended: false,
      realServers: [
        { name: 'a', address: '10.0.3.1', port: 80, alive: true, inTable: true, weight: 3, effectiveWeight: 3, checkers: [{ type: 'HTTP_GET', up: true, hasRun: true }] },
        { name: 'b', address: '10.0.3.2', port: 80, alive: false, inTable: false, weight: 1, effectiveWeight: 1,
          checkers: [{ type: 'TCP_CHECK', up: false, hasRun: true }, { type: 'MISC_CHECK', up: false, hasRun: false }] },
      ],
    }],
  },
};

describe('renderStatus', () => {
  const text = renderStatus(DOC);
  const lines = text.split('\n');

  it('the daemon line: pid, uptime, config, reloads', () => {
    expect(lines[0]).toBe('keepalived-ts: running (pid 4242), up 2h 3m 4s, config /etc/keepalived/keepalived.conf');
    expect(lines[1]).toBe('  reloads: 3 (last 2026-11-22T07:00:00.000Z)');
  });

  it('one line per instance in aligned columns; the master seen when BACKUP; VIPs under it', () => {
    const vi1 = lines.find((l) => l.startsWith('  VI_1'))!;
    const vi2 = lines.find((l) => l.startsWith('  VI_2'))!;
    expect(vi1).toMatch(/^ {2}VI_1 +eth0 +vrid 51 +MASTER +prio 150\/150 +master: this node$/);
    expect(vi2).toMatch(/^ {2}VI_2 +vrrp\.52@eth1 +vrid 52 +BACKUP +prio 90\/100 +master 10\.0\.0\.12 \(prio 200\)$/);
    expect(vi1.indexOf('vrid')).toBe(vi2.indexOf('vrid'));
    expect(text).toContain('      VIPs: 10.0.0.100, 10.0.1.100/24\n');
    expect(text).toContain('      excluded VIPs: fe80::1/64\n');
  });

  it('sync groups and virtual servers with each real server', () => {
    expect(lines).toContain('Sync groups (1)');
    expect(lines.find((l) => l.startsWith('  G1'))).toMatch(/^ {2}G1 +MASTER +VI_1$/);
    expect(text).toContain('  10.0.0.100:80  TCP wrr NAT  quorum up\n');
    expect(lines.find((l) => l.includes('10.0.3.1:80'))).toMatch(/^ {4}up +10\.0\.3\.1:80 +weight 3 +HTTP_GET up$/);
    expect(lines.find((l) => l.includes('10.0.3.2:80'))).toMatch(/^ {4}down +10\.0\.3\.2:80 +weight 1 not in table +TCP_CHECK down, MISC_CHECK pending$/);
  });

  it('announced VIPs (announce_vip) are listed, none as none; without announce_vip nothing is said', () => {
    const up = DOC.checker as Extract<StatusDoc['checker'], { state: 'up' }>;
    expect(renderStatus({ ...DOC, checker: { ...up, announced: ['10.0.0.100/32'] } })).toContain('Announced to the routing daemon: 10.0.0.100/32\n');
    expect(renderStatus({ ...DOC, checker: { ...up, announced: [] } })).toContain('Announced to the routing daemon: none\n');
    expect(text).not.toContain('Announced');
  });

  it('a checker that did not answer shows as unknown; none configured says so', () => {
    expect(renderStatus({ ...DOC, checker: { state: 'unknown', error: 'no answer within 1000 ms', restarts: 2 } }))
      .toContain('Health checkers: unknown (no answer within 1000 ms; 2 restarts)\n');
    expect(renderStatus({ ...DOC, checker: { state: 'none' } })).toContain('Health checkers: none configured\n');
  });

  it('durations', () => {
    expect([formatDuration(5), formatDuration(65), formatDuration(3600), formatDuration(90_061)]).toEqual(['5s', '1m 5s', '1h 0m 0s', '1d 1h 1m']);
  });
});

describe('matchPath', () => {
  it('literal segments and :params (decoded)', () => {
    expect(matchPath('/status', '/status')).toEqual({});
    expect(matchPath('/status', '/status/')).toBeUndefined();
    expect(matchPath('/handover/:instance', '/handover/VI%201')).toEqual({ instance: 'VI 1' });
    expect(matchPath('/handover/:instance', '/handover/')).toBeUndefined();
    expect(matchPath('/handover/:instance', '/handover/%E0%A4%A')).toBeUndefined();
  });
});

// --- against a control server on a Unix socket ---------------------------------------------

function fakeVrrp(): VrrpView {
  return {
    config: { globalDefs: {} } as never, configFile: '/tmp/k.conf', pid: process.pid, startedAt: Date.now() - 61_000, reloads: 0,
    instances: [], groups: [], unknownVrid: 0, addressFailures: 0, addressesRestored: 0,
  };
}

function raw(socketPath: string, method: string, path: string, body?: string): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath, method, path }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks).toString() }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

describe('statusCommand and the control server', () => {
  let dir: string;
  let sock: string;
  let server: ControlServer;
  const out: string[] = [];
  const err: string[] = [];
  const io = { stdout: (s: string) => out.push(s), stderr: (s: string) => err.push(s) };
  // a checker that never answers (and ignores the timeout it is given)
  const silentChecker = { restarts: 1, requestBytes: () => new Promise(() => undefined) };
  let checker: unknown = silentChecker;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'kts-status-'));
    sock = join(dir, 'control.sock');
    writeFileSync(sock, ''); // not a socket: must not be removed
    const refused = new ControlServer({ log, config: () => ({}) as never, vrrp: fakeVrrp, checker: () => undefined });
    expect(await refused.listenUnix(sock)).toBe(false);
    expect(statSync(sock).isFile()).toBe(true);
    rmSync(sock);
    server = new ControlServer({
      log, config: () => ({}) as never, vrrp: fakeVrrp, checker: () => checker as never, checkerTimeoutMs: 200,
      routes: [{ method: 'POST', path: '/handover/:instance', localOnly: true, handle: ({ params }) => ({ status: 202, body: { instance: params.instance } }) }],
    });
    expect(await server.listenUnix(sock)).toBe(true);
    expect(statSync(sock).mode & 0o777).toBe(0o600);
    expect(await server.listenTcp('127.0.0.1', 0)).toBe(true);
  });
  afterAll(async () => {
    await server?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('prints the screen; the checker that never answers shows as unknown after the timeout', async () => {
    out.length = 0;
    const t0 = Date.now();
    const rc = await statusCommand(['--socket', sock], io);
    expect(rc).toBe(0);
    expect(Date.now() - t0).toBeLessThan(3000);
    const text = out.join('');
    expect(text).toMatch(/^keepalived-ts: running \(pid \d+\), up 1m \ds, config \/tmp\/k\.conf\n/);
    expect(text).toContain('Health checkers: unknown (the checker process did not answer \'status\' within 200 ms; 1 restarts)');
  });

  it('--json prints the document as the daemon sent it', async () => {
    out.length = 0;
    // the checker process renders its part (checkerStatusJson), this process puts it in unparsed
    const view = { pid: 99, reloads: 0, virtualServers: [], stats: {}, configFile: '', startedAt: 0 };
    checker = { restarts: 0, requestBytes: async (_m: string, _t: number, arg: { restarts: number }) => [Buffer.from(checkerStatusJson(view, arg.restarts))] };
    try {
      expect(await statusCommand([`--socket=${sock}`, '--json'], io)).toBe(0);
    } finally {
      checker = silentChecker;
    }
    const doc = JSON.parse(out.join('')) as StatusDoc;
    expect(doc.daemon.pid).toBe(process.pid);
    expect(doc.checker).toEqual({ state: 'up', pid: 99, reloads: 0, restarts: 0, virtualServers: [] });
  });

  it('no daemon: a clear message and exit status 3; usage errors 2', async () => {
    err.length = 0;
    expect(await statusCommand(['--socket', join(dir, 'nothing.sock')], io)).toBe(3);
    expect(err.join('')).toContain(`keepalived-ts is not running (no daemon answers on ${join(dir, 'nothing.sock')})`);
    expect(await statusCommand(['--bogus'], io)).toBe(2);
    expect(await statusCommand(['--socket'], io)).toBe(2);
  });

  it('the socket path comes from -f CONFIG\'s control_socket', async () => {
    const conf = join(dir, 'k.conf');
    writeFileSync(conf, `global_defs {\n  control_socket ${sock}\n}\n`);
    out.length = 0;
    expect(await statusCommand(['-f', conf], io)).toBe(0);
    expect(out.join('')).toContain('keepalived-ts: running');
  });

  it('unknown paths 404, wrong methods 405 with Allow, JSON errors, counted', async () => {
    const nf = await raw(sock, 'GET', '/nope');
    expect(nf.status).toBe(404);
    expect(nf.headers['content-type']).toBe('application/json');
    expect(JSON.parse(nf.body)).toEqual({ error: 'no route /nope', status: 404 });
    const m = await raw(sock, 'DELETE', '/status');
    expect(m.status).toBe(405);
    expect(m.headers.allow).toBe('GET');
    expect(JSON.parse(m.body).status).toBe(405);
    expect(server.badRequests['not-found']).toBeGreaterThanOrEqual(1);
    expect(server.badRequests.method).toBeGreaterThanOrEqual(1);
    const h = await controlRequest(sock, '/healthz');
    expect(JSON.parse(h.body)).toEqual({ status: 'ok', pid: process.pid });
  });

  it('a local-only route answers on the Unix socket and does not exist on TCP', async () => {
    const r = await raw(sock, 'POST', '/handover/VI_1', '{}');
    expect([r.status, JSON.parse(r.body)]).toEqual([202, { instance: 'VI_1' }]);
    const port = server.tcpPort()!;
    const tcp = await fetch(`http://127.0.0.1:${port}/handover/VI_1`, { method: 'POST' });
    expect(tcp.status).toBe(404);
    const metrics = await fetch(`http://127.0.0.1:${port}/metrics`);
    expect(metrics.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
    const text = await metrics.text();
    expect(text).toContain('keepalived_up 1\n');
    expect(text).toMatch(/keepalived_ts_control_bad_requests_total\{reason="not-found"\} [1-9]/);
  });

  it('a handler that throws answers 500 and the server carries on; a garbage request gets 400', async () => {
    const s = new ControlServer({ log, config: () => ({}) as never, vrrp: () => { throw new Error('boom'); }, checker: () => undefined });
    const p = join(dir, 'boom.sock');
    expect(await s.listenUnix(p)).toBe(true);
    try {
      const r = await raw(p, 'GET', '/status');
      expect([r.status, JSON.parse(r.body).error]).toEqual([500, 'boom']);
      const net = await import('node:net');
      const reply = await new Promise<string>((resolve) => {
        const c = net.connect(p, () => c.write('NOT HTTP AT ALL\r\n\r\n'));
        let got = '';
        c.on('data', (d) => { got += d.toString(); });
        c.on('close', () => resolve(got));
        c.on('error', () => resolve(got));
      });
      expect(reply).toMatch(/^HTTP\/1\.1 400/);
      expect((await raw(p, 'GET', '/healthz')).status).toBe(200);
    } finally {
      await s.close();
    }
    expect(existsSync(p)).toBe(false);
  });
});
