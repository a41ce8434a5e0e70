// The BFD socket layer (src/io/bfd-socket.ts over the addon's udpListen) against the real
// kernel, RFC 5881 single hop, between two namespaces joined by a veth pair:
// - BFD control packets sent by BfdSockets (dgram, setTTL) from a source port in 49152-65535
//   arrive at the peer's listener on 3784 with their TTL / hop limit (255, and 254 for the
//   core's GTSM check to drop), source address and port, destination and ifindex, over IPv4,
//   IPv6 and IPv6 link-local;
// - tcpdump on the peer sees ttl / hlim as set and destination port 3784;
// - closing from inside onPacket works, a throwing handler is counted and delivery goes on,
//   and the listener process then exits on its own (nothing left on its loop);
// - EADDRINUSE on 3784, source port walking, misuse and send failures are values, not throws;
// - bad arguments to udpListen are TypeError / RangeError, not a crash.
// Namespaces are named ktsbfd-<pid>-<random>-* and removed in afterAll (and on process exit).
// The children run test/netns/bfd-socket-child.mjs in the namespaces. Needs root and the
// built addon (npm install).
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeControl } from '../../src/bfd/packet.js';
import { BfdSockets, sourcePortRange } from '../../src/io/bfd-socket.js';
import { loadNative } from '../../src/io/native.js';
import { skipUnless } from '../helpers/system.js';
import { jsonLines, LineChild, must, run, type Json } from '../helpers/line-child.js';

const REPO = process.cwd();
const CHILD = 'test/netns/bfd-socket-child.mjs';
const isRoot = process.getuid?.() === 0;
const PFX = `ktsbfd-${process.pid}-${randomBytes(2).toString('hex')}`;
const NSA = `${PFX}-a`;
const NSB = `${PFX}-b`;
const A4 = '10.57.0.1';
const B4 = '10.57.0.2';
const A6 = 'fd57::1';
const B6 = 'fd57::2';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));


/** A child process whose stdout lines (and stderr) are collected (test/helpers/line-child.ts). */
class Child extends LineChild {
  constructor(cmd: string, args: string[]) {
    super(cmd, args, { cwd: REPO, stdin: 'ignore' });
  }
}

const children: Child[] = [];
const spawnChild = (ns: string, cmd: string, ...args: string[]): Child => {
  const c = new Child('ip', ['netns', 'exec', ns, cmd, ...args]);
  children.push(c);
  return c;
};
/** The child script run to completion in `ns`: its JSON lines. */
function runChild(ns: string, mode: string, arg: unknown): Json[] {
  const r = run('ip', ['netns', 'exec', ns, process.execPath, CHILD, mode, JSON.stringify(arg)]);
  expect(r.rc, r.stderr).toBe(0);
  return jsonLines(r.stdout);
}

let created = false;
function teardown(): void {
  for (const c of children) c.kill();
  if (!created) return;
  for (const ns of [NSA, NSB]) spawnSync('ip', ['netns', 'del', ns]);
  created = false;
}

const ifindexOf = (ns: string, ifname: string): number => Number(/^(\d+):/.exec(must('ip', ['-n', ns, '-o', 'link', 'show', 'dev', ifname]))![1]);
function linkLocalOf(ns: string, ifname: string): string | undefined {
  const out = must('ip', ['-n', ns, '-6', '-o', 'addr', 'show', 'dev', ifname, 'scope', 'link']);
  if (/tentative/.test(out)) return undefined;
  return /inet6 (fe80::[0-9a-f:]+)\/64/.exec(out)?.[1];
}

/** A BFD control packet (Down, as a session starts) told apart by its discriminator. */
const control = (myDiscriminator: number): string => Buffer.from(encodeControl({
  diag: 0, state: 'Down', poll: false, final: false, controlPlaneIndependent: false, demand: false, detectMult: 5,
  myDiscriminator, yourDiscriminator: 0, desiredMinTxIntervalUs: 1_000_000, requiredMinRxIntervalUs: 10_000, requiredMinEchoRxIntervalUs: 0,
})).toString('hex');

describe.skipIf(skipUnless(isRoot, 'root'))('BFD sockets in network namespaces', () => {
  let ifB = 0;
  let llA = '';
  let llB = '';

  beforeAll(async () => {
    process.once('exit', teardown);
    must('ip', ['netns', 'add', NSA]);
    created = true;
    must('ip', ['netns', 'add', NSB]);
    for (const ns of [NSA, NSB]) {
      must('ip', ['netns', 'exec', ns, 'sysctl', '-qw', 'net.ipv6.conf.all.accept_dad=0', 'net.ipv6.conf.default.accept_dad=0']);
    }
    must('ip', ['-n', NSA, 'link', 'add', 'va', 'type', 'veth', 'peer', 'name', 'vb', 'netns', NSB]);
    must('ip', ['-n', NSA, 'addr', 'add', `${A4}/24`, 'dev', 'va']);
    must('ip', ['-n', NSB, 'addr', 'add', `${B4}/24`, 'dev', 'vb']);
    must('ip', ['-n', NSA, 'addr', 'add', `${A6}/64`, 'dev', 'va', 'nodad']);
    must('ip', ['-n', NSB, 'addr', 'add', `${B6}/64`, 'dev', 'vb', 'nodad']);
    must('ip', ['-n', NSA, 'link', 'set', 'va', 'up']);
    must('ip', ['-n', NSB, 'link', 'set', 'vb', 'up']);
    ifB = ifindexOf(NSB, 'vb');
    const end = Date.now() + 10_000;
    while (!(llA = linkLocalOf(NSA, 'va') ?? '') || !(llB = linkLocalOf(NSB, 'vb') ?? '')) {
      if (Date.now() > end) throw new Error('no link-local addresses on the veth pair');
      await sleep(50);
    }
  });

  afterAll(() => {
    teardown();
    process.removeListener('exit', teardown);
  });

  it('packets arrive with ttl / hop limit, addresses, source port and ifindex; tcpdump agrees; close inside onPacket', async () => {
    const sessions = [
      { key: 'v4-255', family: 4, ttl: 255, peer: B4, hex: control(1) },
      { key: 'v4-254', family: 4, ttl: 254, peer: B4, hex: control(2), source: A4 },
      { key: 'v6-255', family: 6, ttl: 255, peer: B6, hex: control(3) },
      { key: 'v6-254', family: 6, ttl: 254, peer: B6, hex: control(4), source: A6 },
      { key: 'll-255', family: 6, ttl: 255, peer: `${llB}%va`, hex: control(5), source: `${llA}%va` },
    ];
    const THROW = control(0xee);
    const CLOSE = control(0xcc);

    const dump = spawnChild(NSB, 'tcpdump', '-i', 'vb', '-U', '-l', '-nn', '-t', '-v', '-c', String(sessions.length + 2), 'udp and dst port 3784');
    await dump.waitFor('tcpdump to listen', () => dump.stderr.includes('listening on'));
    const b = spawnChild(NSB, process.execPath, CHILD, 'listen', JSON.stringify({ throwOn: THROW, closeOn: CLOSE }));
    await b.waitFor('listener ready', () => b.json().some((j) => j.ready === true));
    const ready = b.json().find((j) => j.ready)!;
    expect(ready).toMatchObject({ v4: { ok: true }, v6: { ok: true }, again: { ok: true }, listening: [4, 6] });

    const sent = runChild(NSA, 'send', [...sessions, { key: 'throw', family: 4, ttl: 255, peer: B4, hex: THROW }]);
    const done = sent.find((j) => 'done' in j)!;
    expect(done).toMatchObject({ done: true, errors: [], listening: [4, 6] });
    expect(done.counters).toMatchObject({ txPackets: sessions.length + 1, txErrors: 0, bindErrors: 0, listenErrors: 0 });
    const opened = new Map(sent.filter((j) => 'opened' in j).map((j) => [j.key as string, j]));
    for (const s of sessions) {
      const o = opened.get(s.key)!;
      expect(o.opened.ok, JSON.stringify(o)).toBe(true);
      expect(o.sent).toEqual({ ok: true }); // value undefined, dropped by JSON
      expect(o.opened.value.srcPort).toBeGreaterThanOrEqual(49152);
      expect(o.opened.value.srcPort).toBeLessThanOrEqual(65535);
      expect(o.opened.value).toMatchObject({ family: s.family, ttl: s.ttl });
      if (s.source) expect(o.opened.value.srcAddress).toBe(s.source); // with its %scope, as Node reports it
    }
    await b.waitFor('every packet', () => b.json().filter((j) => 'data' in j).length === sessions.length + 1);

    // the close packet, sent last, closes the listener from inside onPacket
    const last = runChild(NSA, 'send', [{ key: 'close', family: 6, ttl: 255, peer: B6, hex: CLOSE }]);
    expect(last.find((j) => 'done' in j)).toMatchObject({ done: true, counters: { txPackets: 1 } });
    await b.waitFor('the listener to exit on its own', () => b.exit !== undefined, 15_000);
    expect(b.exit, b.stderr).toBe(0);

    const received = new Map(b.json().filter((j) => 'data' in j).map((j) => [j.data as string, j]));
    const srcOf: Record<number, string> = { 4: A4, 6: A6 };
    for (const s of sessions) {
      const r = received.get(s.hex);
      expect(r, s.key).toBeDefined();
      const ll = s.key.startsWith('ll');
      expect(r).toEqual({
        data: s.hex, family: s.family, ttl: s.ttl, ifindex: ifB,
        src: ll ? llA : srcOf[s.family], srcPort: opened.get(s.key)!.opened.value.srcPort,
        dst: ll ? llB : s.peer,
      });
    }
    // the throwing handler was counted and logged, delivery went on; close came last
    expect(received.get(THROW)).toMatchObject({ ttl: 255, family: 4 });
    expect(received.get(CLOSE)).toMatchObject({ ttl: 255, family: 6, src: A6, dst: B6 });
    const closed = b.json().find((j) => j.closedInside)!;
    expect(closed).toMatchObject({ listening: [], counters: { rxPackets: sessions.length + 2, rxHandlerErrors: 1, rxNoTtl: 0 } });
    expect(b.json().filter((j) => 'log' in j)).toEqual([{ log: 'error', msg: 'BFD: packet handler failed' }]);

    // tcpdump -v: the IP header line (ttl / hlim) and then the addresses and ports
    await dump.waitFor('tcpdump to see every packet', () => dump.exit !== undefined, 15_000);
    const packets: string[] = [];
    for (const l of dump.lines) {
      if (/^\s/.test(l) && packets.length > 0) packets[packets.length - 1] += ` ${l.trim()}`;
      else packets.push(l);
    }
    expect(packets).toHaveLength(sessions.length + 2);
    const src = (s: (typeof sessions)[number]): string => (s.key.startsWith('ll') ? llA : srcOf[s.family]!);
    const dst = (s: (typeof sessions)[number]): string => (s.key.startsWith('ll') ? llB : s.peer);
    for (const s of sessions) {
      const port = opened.get(s.key)!.opened.value.srcPort as number;
      const p = packets.find((x) => x.includes(`${src(s)}.${port} > ${dst(s)}.3784:`));
      expect(p, `${s.key} in\n${packets.join('\n')}`).toBeDefined();
      expect(p).toMatch(s.family === 4 ? new RegExp(`^IP \\(.*\\bttl ${s.ttl},`) : new RegExp(`^IP6 \\(.*\\bhlim ${s.ttl},`));
      expect(p).toMatch(/BFDv1/);
    }
  });

  it('EADDRINUSE on 3784, source port walking, misuse and send failures are values', () => {
    const out = runChild(NSA, 'busy', {});
    const step = (name: string): Json => out.find((j) => j.step === name)!;
    expect(step('first')).toMatchObject({ v4: { ok: true }, v6: { ok: true } });
    const second = step('second');
    expect(second.v4).toMatchObject({ ok: false, error: { op: 'listen', code: 'EADDRINUSE', family: 4, message: 'BFD: cannot listen on UDP 0.0.0.0:3784: EADDRINUSE' } });
    expect(second.v6).toMatchObject({ ok: false, error: { op: 'listen', code: 'EADDRINUSE', family: 6, message: 'BFD: cannot listen on UDP [::]:3784: EADDRINUSE' } });
    expect(second.session).toMatchObject({ ok: false, error: { op: 'listen', code: 'EADDRINUSE', key: 's1' } });
    expect(second.counters).toMatchObject({ listenErrors: 3 });

    expect(step('walk').session).toMatchObject({ ok: true, value: { family: 4, srcPort: 50001, ttl: 255 } });
    expect(step('full').session).toMatchObject({ ok: false, error: { op: 'bind', code: 'EADDRINUSE', key: 'w2' } });
    expect(step('full').counters).toMatchObject({ bindErrors: 1 });
    expect(step('dup').session).toMatchObject({ ok: false, error: { code: 'EEXIST' } });
    const misuse = step('misuse');
    expect(misuse.unknown).toMatchObject({ ok: false, error: { op: 'send', code: 'ENOSESSION' } });
    expect(misuse.wrongFamily).toMatchObject({ ok: false, error: { op: 'send', code: 'EINVAL' } });
    expect(misuse.notAnAddress).toMatchObject({ ok: false, error: { op: 'send', code: 'EINVAL' } });
    expect(misuse.badTtl).toMatchObject({ ok: false, error: { op: 'ttl', code: 'EINVAL' } });
    expect(misuse.badSource).toMatchObject({ ok: false, error: { op: 'bind', code: 'EINVAL' } });
    expect(step('closedWhileOpening').session).toMatchObject({ ok: false, error: { code: 'ECLOSED', key: 'late' } });

    const unroutable = step('unroutable');
    expect(unroutable.sends).toEqual([{ ok: true }, { ok: true }]);
    expect(unroutable.errors).toHaveLength(2);
    expect(unroutable.errors[0]).toMatchObject({ op: 'send', code: 'ENETUNREACH', key: 'u', family: 4 });
    expect(unroutable.counters).toMatchObject({ txErrors: 2, txPackets: 0 });
    // logged once per session and errno
    expect(out.filter((j) => j.log === 'warn' && j.code === 'ENETUNREACH')).toHaveLength(1);
    expect(step('afterClose')).toMatchObject({ listen: { ok: false, error: { code: 'ECLOSED' } }, session: { ok: false, error: { code: 'ECLOSED' } } });
  });
});

describe.skipIf(skipUnless(isRoot, 'root'))('BFD sockets: bad arguments (no network traffic)', () => {
  it('udpListen: wrong family, bad port, bad address, no handler are TypeError / RangeError', () => {
    const n = loadNative();
    const cb = (): void => {};
    expect(() => n.udpListen(5 as 4, 3784, '', cb)).toThrow(TypeError);
    expect(() => n.udpListen('4' as unknown as 4, 3784, '', cb)).toThrow(TypeError);
    for (const port of [-1, 65536, 1.5, Number.NaN, Infinity]) expect(() => n.udpListen(4, port, '', cb), String(port)).toThrow(RangeError);
    expect(() => n.udpListen(4, '3784' as unknown as number, '', cb)).toThrow(TypeError);
    expect(() => n.udpListen(4, 3784, 'fd00::1', cb)).toThrow(TypeError);
    expect(() => n.udpListen(6, 3784, '10.0.0.1', cb)).toThrow(TypeError);
    expect(() => n.udpListen(6, 3784, 'fe80::1%', cb)).toThrow(TypeError);
    expect(() => n.udpListen(6, 3784, `fe80::1%${'x'.repeat(80)}`, cb)).toThrow(TypeError);
    expect(() => n.udpListen(4, 3784, '', 7 as unknown as typeof cb)).toThrow(TypeError);
    expect(() => (n.udpListen as unknown as (...a: unknown[]) => number)(4, 3784)).toThrow(TypeError);
  });

  it('openSession refuses a bad TTL or a source of the other family before opening anything', async () => {
    const s = new BfdSockets({ onPacket: () => {}, log: { warn: () => {}, error: () => {} } as never });
    await expect(s.openSession('a', { family: 4, ttl: 256 })).resolves.toMatchObject({ ok: false, error: { op: 'ttl', code: 'EINVAL' } });
    await expect(s.openSession('b', { family: 4, source: 'fd00::1' })).resolves.toMatchObject({ ok: false, error: { op: 'bind', code: 'EINVAL' } });
    expect(s.listening).toEqual([]);
    s.close();
  });

  it('the source port range is ip_local_port_range within 49152-65535, as keepalived', () => {
    expect(sourcePortRange('32768\t60999\n')).toEqual([49152, 60999]);
    expect(sourcePortRange('50000 65535\n')).toEqual([50000, 65535]);
    expect(sourcePortRange('1024\t2000\n')).toEqual([49152, 65535]); // fewer than 1024 ports left
    expect(sourcePortRange('garbage')).toEqual([49152, 65535]);
  });
});
