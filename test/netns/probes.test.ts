// The real probes (src/io/probes.ts, built into dist/) against small real servers, in network
// namespaces this test creates with NetLab: a "prober" (10.213.7.1 and .3) and a "server"
// (10.213.7.2) on one bridge. The servers are test/netns/probe-servers.mjs; the probes run in
// test/netns/probe-child.mjs inside the prober namespace. Covers success and failure of every
// probe type (closed port, wrong status, wrong digest, timeouts, bad banner, RCODE, ICMP port
// unreachable, reply mismatch, exit statuses) and the bindto / connect options. The HTTPS
// server's certificate is made at test time with openssl. Everything is removed in afterAll.
// Needs root and `npm run build`.
import { spawnSync, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildHttpRequest } from '../../src/check/http.js';
import type { ConnPlan, ProbePlan, ProbeResult } from '../../src/check/types.js';
import type { SslContextConfig } from '../../src/config/model.js';
import { parseHexPattern, DEFAULT_UDP_PAYLOAD } from '../../src/check/udp.js';
import { NetLab } from '../../src/lab/netlab.js';
import { skipUnless } from '../helpers/system.js';

const isRoot = process.getuid?.() === 0;
const built = existsSync('dist/src/io/probes.js');
const hasOpenssl = spawnSync('sh', ['-c', 'command -v openssl']).status === 0;
const SERVER = '10.213.7.2';
const ABSENT = '10.213.7.99';

let lab: NetLab | undefined;
let dir = '';
let servers: ChildProcess | undefined;

const conn = (port: number, over: Partial<ConnPlan> = {}): ConnPlan => ({ family: 'inet', host: SERVER, port, timeoutMs: 1500, ...over });
const http = (path: string, over: Partial<ConnPlan> = {}, url: Partial<Extract<ProbePlan, { type: 'HTTP_GET' }>['url']> = {}, tls = false): ProbePlan => ({
  type: tls ? 'SSL_GET' : 'HTTP_GET', conn: conn(tls ? 443 : 80, over),
  request: buildHttpRequest({ path, host: SERVER, family: 'inet', port: tls ? 443 : 80 }),
  url: { path, statusCode: [{ from: 200, to: 299 }], regexNoMatch: false, ...url },
  ...(tls ? { sni: 'rs.test' } : {}),
});
const script = (path: string) => ({ argv: [path], text: path, loc: { file: 'x', line: 1, col: 1 } });

/** Runs `plans` at once in the prober namespace (with the credentials of an `SSL` block); one result per plan. */
function probe(plans: readonly ProbePlan[], ssl?: SslContextConfig): ProbeResult[] {
  const json = JSON.stringify(plans, (_k, v) => (v instanceof Uint8Array ? { $bytes: Buffer.from(v).toString('hex') } : v));
  const r = lab!.exec('prober', process.execPath, ['test/netns/probe-child.mjs', json, ...(ssl ? [JSON.stringify(ssl)] : [])], 60_000);
  if (r.rc !== 0) throw new Error(`probe child failed (${r.rc}): ${r.stderr}`);
  return JSON.parse(r.stdout.trim()) as ProbeResult[];
}

describe.skipIf(skipUnless(isRoot, 'root') || skipUnless(built, 'dist/ (npm run build)'))('probes against real servers (netns)', () => {
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'ktsprobe-'));
    const args = ['test/netns/probe-servers.mjs'];
    if (hasOpenssl) {
      const r = spawnSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=rs.test',
        '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem')], { encoding: 'utf8' });
      if (r.status !== 0) throw new Error(`openssl: ${r.stderr}`);
      // the checker's own certificate, which the server on :8443 requires
      const c = spawnSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=checker.test',
        '-keyout', join(dir, 'client-key.pem'), '-out', join(dir, 'client-cert.pem')], { encoding: 'utf8' });
      if (c.status !== 0) throw new Error(`openssl: ${c.stderr}`);
      args.push(join(dir, 'cert.pem'), join(dir, 'key.pem'), join(dir, 'client-cert.pem'));
    }
    for (const [name, body] of [['ok', 'exit 0'], ['fail', 'exit 1'], ['dyn', 'exit 5'], ['slow', 'sleep 5']]) {
      writeFileSync(join(dir, name), `#!/bin/sh\n${body}\n`);
      chmodSync(join(dir, name), 0o755);
    }
    lab = new NetLab('ktsprb');
    lab.addHost({ name: 'prober', addresses: ['10.213.7.1/24', '10.213.7.3/24'] });
    lab.addHost({ name: 'server', addresses: [`${SERVER}/24`] });
    servers = lab.spawn('server', process.execPath, args);
    await new Promise<void>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error('servers not ready')), 20_000);
      let err = '';
      servers!.stderr!.on('data', (d: Buffer) => { err += d.toString(); });
      servers!.stdout!.on('data', (d: Buffer) => { if (d.toString().includes('ready')) { clearTimeout(t); resolve(); } });
      servers!.on('exit', (c) => { clearTimeout(t); reject(new Error(`servers exited ${c}: ${err}`)); });
    });
  });

  afterAll(async () => {
    await lab?.destroy();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('TCP_CHECK: open, closed, silent host, unusable bindto', () => {
    const [open, closed, silent, badBind, bound] = probe([
      { type: 'TCP_CHECK', conn: conn(80) },
      { type: 'TCP_CHECK', conn: conn(81) },
      { type: 'TCP_CHECK', conn: conn(80, { host: ABSENT, timeoutMs: 500 }) },
      { type: 'TCP_CHECK', conn: conn(80, { bindto: '10.213.7.50' }) },
      { type: 'TCP_CHECK', conn: conn(80, { bindto: '10.213.7.3', bindPort: 40123 }) },
    ]);
    expect(open).toEqual({ ok: true });
    expect(closed).toEqual({ ok: false, detail: 'ECONNREFUSED' });
    expect(silent).toEqual({ ok: false, detail: 'timeout' });
    expect(badBind).toMatchObject({ ok: false, code: 'CHECK_PROBE' });
    expect(bound).toEqual({ ok: true });
  });

  it('fwmark (SO_MARK) and bind_if (SO_BINDTODEVICE) take effect on TCP_CHECK, HTTP_GET, UDP_CHECK and DNS_CHECK', () => {
    // 10.213.9.2 (on the server) is reachable from the prober only through table 107, which
    // only packets marked 7 use
    lab!.exec('server', 'ip', ['addr', 'add', '10.213.9.2/32', 'dev', 'eth0']);
    lab!.exec('prober', 'ip', ['rule', 'add', 'fwmark', '7', 'table', '107']);
    lab!.exec('prober', 'ip', ['route', 'add', '10.213.9.2/32', 'dev', 'eth0', 'table', '107']);
    const marked = (over: Partial<ConnPlan>): ConnPlan => conn(80, { host: '10.213.9.2', ...over });
    const [plain, mark7, mark8, onEth0, onLo, httpMarked, httpLo] = probe([
      { type: 'TCP_CHECK', conn: marked({}) },
      { type: 'TCP_CHECK', conn: marked({ fwmark: 7 }) },
      { type: 'TCP_CHECK', conn: marked({ fwmark: 8 }) },
      { type: 'TCP_CHECK', conn: conn(80, { bindIf: 'eth0' }) },
      { type: 'TCP_CHECK', conn: conn(80, { bindIf: 'lo', timeoutMs: 500 }) },
      { ...http('/ok'), conn: marked({ fwmark: 7 }) },
      { ...http('/ok'), conn: conn(80, { bindIf: 'lo', timeoutMs: 500 }) },
    ]);
    expect(plain).toMatchObject({ ok: false });
    expect(mark7).toEqual({ ok: true });
    expect(mark8).toMatchObject({ ok: false });
    expect(onEth0).toEqual({ ok: true });
    expect(onLo).toMatchObject({ ok: false });
    expect(httpMarked).toMatchObject({ ok: true });
    expect(httpLo).toMatchObject({ ok: false });
    // UDP_CHECK and DNS_CHECK on a socket node:dgram adopts from the addon: packets marked 9
    // are refused by a prohibit rule (a UDP server answers from its primary address, so the
    // marked-route trick above does not suit it)
    lab!.exec('prober', 'ip', ['rule', 'add', 'fwmark', '9', 'prohibit']);
    const udp = (over: Partial<ConnPlan>): ProbePlan => ({
      type: 'UDP_CHECK', conn: conn(9000, { timeoutMs: 700, ...over }), payload: DEFAULT_UDP_PAYLOAD,
      requireReply: parseHexPattern('50 4f', true)!, minReplyLength: 0, maxReplyLength: 255,
    });
    const dns = (over: Partial<ConnPlan>): ProbePlan => ({ type: 'DNS_CHECK', conn: conn(53, { timeoutMs: 700, ...over }), qtype: 6, name: '.' });
    const [udpPlain, udpMark9, udpOnEth0, udpOnLo, dnsPlain, dnsMark9, noRoute] = probe([
      udp({}), udp({ fwmark: 9 }), udp({ bindIf: 'eth0' }), udp({ bindIf: 'lo' }), dns({}), dns({ fwmark: 9 }),
      // no route at all: a failed check (this used to throw in the probe)
      udp({ host: '10.213.9.2' }),
    ]);
    expect(noRoute).toEqual({ ok: false, detail: 'ENETUNREACH' });
    expect(udpPlain).toEqual({ ok: true });
    expect(udpMark9).toMatchObject({ ok: false });
    expect(udpOnEth0).toEqual({ ok: true });
    expect(udpOnLo).toMatchObject({ ok: false });
    expect(dnsPlain).toEqual({ ok: true });
    expect(dnsMark9).toMatchObject({ ok: false });
  });

  it('HTTP_GET: status, digest, regex (with options and offsets), timeout, bindto seen by the server, connect_port', () => {
    const md5 = createHash('md5').update('hello').digest('hex');
    const r = probe([
      http('/ok'),
      http('/missing'),
      http('/ok', {}, { digest: md5 }),
      http('/ok', {}, { digest: '0'.repeat(32) }),
      http('/hang', { timeoutMs: 500 }),
      http('/whoami', { bindto: '10.213.7.3' }, { regex: 'you are 10\\.213\\.7\\.3$' }),
      http('/whoami', {}, { regex: 'you are 10\\.213\\.7\\.3$' }),
      http('/ok', { port: 81 }),
      // PCRE2's spelling and options (src/util/pcre.ts); a match may not start before regex_min_offset
      http('/whoami', {}, { regex: '\\AYOU ARE [[:digit:].]+\\Z', regexOptions: ['caseless'] }),
      http('/whoami', {}, { regex: 'you', regexMinOffset: 1 }),
    ]);
    expect(r).toEqual([
      { ok: true, detail: 'HTTP status code' },
      { ok: false, detail: 'HTTP status code error to' },
      { ok: true, detail: 'MD5 digest' },
      { ok: false, detail: 'MD5 digest error to' },
      { ok: false, detail: 'Timeout HTTP read' },
      { ok: true, detail: 'Regex match' },
      { ok: false, detail: 'Regex match failed' },
      { ok: false, detail: 'Error connecting' },
      { ok: true, detail: 'Regex match' },
      { ok: false, detail: 'Regex match failed' },
    ]);
  });

  it('genhash: status and MD5 of the body; nothing listening is CHECK_PROBE', () => {
    const gen = (url: string) => JSON.parse(lab!.exec('prober', process.execPath, ['test/netns/probe-child.mjs', 'genhash', url], 30_000).stdout.trim()) as unknown;
    expect(gen(`http://${SERVER}/ok`)).toEqual({ status: 200, digest: createHash('md5').update('hello').digest('hex'), bytes: 5 });
    expect(gen(`http://${SERVER}/missing`)).toMatchObject({ status: 404 });
    expect(gen(`http://${SERVER}:81/ok`)).toEqual({ error: 'CHECK_PROBE' });
    if (hasOpenssl) expect(gen(`https://${SERVER}/ok`)).toMatchObject({ status: 200, bytes: 5 });
  });

  it("keepalived-ts genhash prints the digest keepalived's genhash prints", () => {
    const args = ['-s', SERVER, '-p', '80', '-u', '/ok'];
    const ours = lab!.exec('prober', process.execPath, ['dist/src/cli.js', 'genhash', ...args], 30_000);
    const theirs = lab!.exec('prober', 'genhash', args, 30_000);
    expect(ours.rc, ours.stderr).toBe(0);
    expect(ours.stdout.trim()).toBe(createHash('md5').update('hello').digest('hex'));
    expect(theirs.stdout, theirs.stderr).toContain(ours.stdout.trim());
    const refused = lab!.exec('prober', process.execPath, ['dist/src/cli.js', 'genhash', '-s', SERVER, '-p', '81', '-u', '/ok'], 30_000);
    expect(refused.rc).toBe(1);
    expect(refused.stderr).toMatch(/^genhash: /);
  });

  it('SSL_GET: self-signed certificate, SNI, digest', () => {
    expect(hasOpenssl, 'openssl is installed by scripts/install-deps.sh').toBe(true);
    const md5 = createHash('md5').update('hello').digest('hex');
    const r = probe([http('/ok', {}, { digest: md5 }, true), http('/missing', {}, {}, true)]);
    expect(r).toEqual([{ ok: true, detail: 'MD5 digest' }, { ok: false, detail: 'HTTP status code error to' }]);
  });

  it('SSL_GET with the SSL block: a server that requires a client certificate', () => {
    expect(hasOpenssl, 'openssl is installed by scripts/install-deps.sh').toBe(true);
    const plan = { ...http('/ok', { port: 8443 }, {}, true) };
    const [without] = probe([plan]);
    const [withCert] = probe([plan], { certificate: join(dir, 'client-cert.pem'), key: join(dir, 'client-key.pem') });
    // the server's own certificate as the CA: loaded, and (as keepalived) no verification enforced
    const [withCa] = probe([plan], { certificate: join(dir, 'client-cert.pem'), key: join(dir, 'client-key.pem'), ca: join(dir, 'cert.pem') });
    // an unusable block (no such key file) leaves the checks running without credentials
    const [broken] = probe([plan], { certificate: join(dir, 'client-cert.pem'), key: join(dir, 'nope.pem') });
    expect(without).toMatchObject({ ok: false });
    expect(withCert).toMatchObject({ ok: true });
    expect(withCa).toMatchObject({ ok: true });
    expect(broken).toMatchObject({ ok: false });
  });

  it('SMTP_CHECK, DNS_CHECK', () => {
    const r = probe([
      { type: 'SMTP_CHECK', conn: conn(25), heloName: 'me.test' },
      { type: 'SMTP_CHECK', conn: conn(2525), heloName: 'me.test' },
      { type: 'SMTP_CHECK', conn: conn(26), heloName: 'me.test' },
      { type: 'DNS_CHECK', conn: conn(53), qtype: 6, name: '.' },
      { type: 'DNS_CHECK', conn: conn(53), qtype: 1, name: 'example.test' },
      { type: 'DNS_CHECK', conn: conn(5353), qtype: 6, name: '.' },
      { type: 'DNS_CHECK', conn: conn(53, { host: ABSENT, timeoutMs: 500 }), qtype: 6, name: '.' },
    ]);
    expect(r).toEqual([
      { ok: true },
      { ok: false, detail: `Bad greeting banner from server [${SERVER}]:2525` },
      { ok: false, detail: `Could not connect to server [${SERVER}]:26` },
      { ok: true },
      { ok: false, detail: 'read error occurred. (rcode = 3)' },
      { ok: false, detail: 'connection error.' },
      { ok: false, detail: 'read timeout from socket' },
    ]);
  });

  it('UDP_CHECK: reply pattern with wildcards, mismatch, ICMP port unreachable, silence', () => {
    const udp = (port: number, reply?: string, over: Partial<ConnPlan> = {}): ProbePlan => ({
      type: 'UDP_CHECK', conn: conn(port, { timeoutMs: 700, ...over }), payload: DEFAULT_UDP_PAYLOAD,
      ...(reply !== undefined ? { requireReply: parseHexPattern(reply, true)! } : {}), minReplyLength: 0, maxReplyLength: 255,
    });
    const r = probe([udp(9000, '50 4f 4X 47 6b'), udp(9000, '58 58'), udp(9001), udp(9000, undefined, { bindto: '10.213.7.3' }), udp(9000, '50', { host: ABSENT })]);
    expect(r).toEqual([
      { ok: true },
      { ok: false, detail: 'reply mismatch' },
      { ok: false, detail: 'ECONNREFUSED' },
      { ok: true },
      { ok: false, detail: 'timeout' },
    ]);
  });

  it('PING_CHECK: answered, unanswered, from bindto', () => {
    const r = probe([
      { type: 'PING_CHECK', conn: conn(0) },
      { type: 'PING_CHECK', conn: conn(0, { host: ABSENT, timeoutMs: 500 }) },
      { type: 'PING_CHECK', conn: conn(0, { bindto: '10.213.7.3' }) },
    ]);
    expect(r).toEqual([{ ok: true }, { ok: false, detail: 'timeout' }, { ok: true }]);
  });

  it('MISC_CHECK: exit 0, exit 1, misc_dynamic weight, timeout', () => {
    const misc = (name: string, dynamic = false, timeoutMs = 5000): ProbePlan => ({ type: 'MISC_CHECK', script: script(join(dir, name)), timeoutMs, dynamic });
    const r = probe([misc('ok'), misc('fail'), misc('dyn', true), misc('dyn'), misc('slow', false, 300)]);
    expect(r).toEqual([
      { ok: true, exitCode: 0 },
      { ok: false, exitCode: 1, detail: 'exited with status 1' },
      { ok: true, exitCode: 5, weight: 3 },
      { ok: false, exitCode: 5, detail: 'exited with status 5' },
      { ok: false, timedOut: true, detail: 'timed out' },
    ]);
  });
});
