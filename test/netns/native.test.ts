// The native addon (native/, through src/io/native.ts) against the real kernel:
// - PacketSocket sends our GARP and unsolicited NA frames on a veth in a private namespace and
//   tcpdump on the peer sees exactly those bytes;
// - Raw6Socket joined to ff02::12 receives what the other namespace sends with Raw6Socket.send
//   (multicast and link-local unicast), with source, destination, hop limit 255 and ifindex;
//   a throwing handler neither crashes the process nor stops delivery; close() works from
//   inside the handler and releases the poll handle (the child exits on its own);
// - errno failures surface as SyscallError (IO_SYSCALL) with the errno name and the call;
// - unixDgramSend reaches a path socket and an abstract one.
// Namespaces and everything in them are named ktsnat-<pid>-<random>-* and removed in
// afterAll (and on process exit). The children run test/netns/native-child.mjs in the
// namespaces. Needs root and the built addon (npm install).
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KtsError } from '../../src/errors/index.js';
import { loadNative, nativeAvailable, PacketSocket, Raw6Socket, SyscallError, unixDgramSend } from '../../src/io/native.js';
import { buildGarp } from '../../src/l2/index.js';
import { formatIp, parseIp, parseMac } from '../../src/util/ip.js';
import { encodeAdvert, VRRP_GROUP_INET6 } from '../../src/vrrp/packet.js';
import { skipUnless } from '../helpers/system.js';
import { LineChild, must, run } from '../helpers/line-child.js';

const REPO = process.cwd();
const CHILD = 'test/netns/native-child.mjs';
const isRoot = process.getuid?.() === 0;
const PFX = `ktsnat-${process.pid}-${randomBytes(2).toString('hex')}`;
const NSA = `${PFX}-a`;
const NSB = `${PFX}-b`;
const MAC_A = '02:6b:74:00:00:0a';
const MAC_B = '02:6b:74:00:00:0b';
const IPPROTO_VRRP = 112;

const hexOf = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));


/** A child process whose stdout lines (and stderr) are collected (test/helpers/line-child.ts). */
class Child extends LineChild {
  constructor(cmd: string, args: string[]) {
    super(cmd, args, { cwd: REPO, stdin: 'pipe' });
  }
}

const children: Child[] = [];
const child = (ns: string, ...args: string[]): Child => {
  const c = new Child('ip', ['netns', 'exec', ns, process.execPath, CHILD, ...args]);
  children.push(c);
  return c;
};

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

describe.skipIf(skipUnless(isRoot, 'root'))('native addon in network namespaces', () => {
  let ifA = 0;
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
    must('ip', ['-n', NSA, 'link', 'add', 'va', 'address', MAC_A, 'type', 'veth', 'peer', 'name', 'vb', 'address', MAC_B, 'netns', NSB]);
    must('ip', ['-n', NSA, 'link', 'set', 'va', 'up']);
    must('ip', ['-n', NSB, 'link', 'set', 'vb', 'up']);
    ifA = ifindexOf(NSA, 'va');
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

  it('the addon is built (npm install) and loads', () => {
    expect(nativeAvailable()).toBe(true);
  });

  it('PacketSocket: tcpdump on the peer sees our GARP and unsolicited NA byte for byte', async () => {
    const dump = new Child('ip', ['netns', 'exec', NSB, 'tcpdump', '-i', 'vb', '-U', '-l', '-nn', '-e', '-vv', '-xx',
      '-c', '2', 'arp or (icmp6 and ip6[40] == 136)']);
    children.push(dump);
    await dump.waitFor('tcpdump to listen', () => dump.stderr.includes('listening on'));
    const r = run('ip', ['netns', 'exec', NSA, process.execPath, CHILD, 'send-frames', String(ifA), MAC_A, '10.13.0.5', 'fd13::5']);
    expect(r.rc, r.stderr).toBe(0);
    const sent = JSON.parse(r.stdout.trim()) as { garp: { sent: number; hex: string }; na: { sent: number; hex: string } };
    expect(sent.garp.sent).toBe(42);
    expect(sent.na.sent).toBe(86);
    expect(sent.garp.hex).toBe(hexOf(buildGarp(parseMac(MAC_A)!, parseIp('10.13.0.5')!.bytes)));
    await dump.waitFor('tcpdump to see 2 frames', () => dump.exit !== undefined, 15_000);

    // tcpdump -e -vv -xx: a summary line (plus decode lines) and then the hex lines of each frame
    const frames: { summary: string; hex: string }[] = [];
    for (const l of dump.lines) {
      const h = /^\t0x[0-9a-f]{4}:\s+(.*)$/.exec(l);
      if (h) frames[frames.length - 1]!.hex += h[1]!.replace(/\s+/g, '');
      else if (!/^\s/.test(l)) frames.push({ summary: l, hex: '' });
      else frames[frames.length - 1]!.summary += ` ${l.trim()}`;
    }
    expect(frames.map((f) => f.hex)).toEqual([sent.garp.hex, sent.na.hex]);
    expect(frames[0]!.summary).toContain(`${MAC_A} > ff:ff:ff:ff:ff:ff, ethertype ARP`);
    expect(frames[0]!.summary).toContain('Request who-has 10.13.0.5 (ff:ff:ff:ff:ff:ff) tell 10.13.0.5');
    expect(frames[1]!.summary).toContain(`${MAC_A} > 33:33:00:00:00:01, ethertype IPv6`);
    expect(frames[1]!.summary).toMatch(/hlim 255.*fd13::5 > ff02::1: .*neighbor advertisement.*tgt is fd13::5/);
    expect(frames[1]!.summary).toContain('Flags [override]');
    expect(frames[1]!.summary).not.toMatch(/bad/i);
  });

  it('Raw6Socket: multicast and link-local unicast arrive with src, dst, hop limit and ifindex', async () => {
    const advert = (vrid: number, dst: string): string => hexOf(encodeAdvert(
      { version: 3, vrid, priority: 100, adverIntervalMs: 1000, addrs: [parseIp('fd13::1')!.bytes], authType: 0, authData: undefined },
      { family: 'inet6', src: parseIp(llA)!.bytes, dst: parseIp(dst)!.bytes },
    ));
    const mcast = advert(7, 'ff02::12');
    const ucast = advert(8, llB);
    const late = advert(9, 'ff02::12');
    const THROW = 'ee0102'; // both handlers throw on it
    const CLOSE = 'cc0304'; // the bare socket closes itself on it

    const b = child(NSB, 'raw6-listen', String(IPPROTO_VRRP), String(ifB), formatIp(VRRP_GROUP_INET6));
    await b.waitFor('listener ready', () => b.json().some((j) => j.ready === true));
    /** One child in NSA sends each [dst, hex] in order. */
    const send = (...datagrams: [string, string][]): void => {
      const r = run('ip', ['netns', 'exec', NSA, process.execPath, CHILD, 'raw6-send', String(IPPROTO_VRRP), String(ifA), llA,
        ...datagrams.map(([dst, data]) => `${dst}=${data}`)]);
      expect(r.rc, r.stderr).toBe(0);
      expect(r.stdout.trim().split('\n').map((l) => (JSON.parse(l) as { sent: number }).sent)).toEqual(datagrams.map(([, d]) => d.length / 2));
    };
    send(['ff02::12', THROW], ['ff02::12', mcast], [llB, ucast], ['ff02::12', CLOSE]);
    await b.waitFor('bare socket closing itself', () => b.json().some((j) => j.closedInside === true));
    send(['ff02::12', late]);
    const got = (sock: string): Record<string, unknown>[] => b.json().filter((j) => j.sock === sock && 'data' in j);
    await b.waitFor('the late advert', () => got('wrapped').some((j) => j.data === late));

    const A = hexOf(parseIp(llA)!.bytes);
    const GROUP = hexOf(VRRP_GROUP_INET6);
    const B = hexOf(parseIp(llB)!.bytes);
    const expected = (data: string, dst: string): Record<string, unknown> => ({ data, src: A, dst, hopLimit: 255, ifindex: ifB });
    const strip = (j: Record<string, unknown>): Record<string, unknown> => ({ data: j.data, src: j.src, dst: j.dst, hopLimit: j.hopLimit, ifindex: j.ifindex });
    expect(got('wrapped').map(strip)).toEqual([
      expected(THROW, GROUP), expected(mcast, GROUP), expected(ucast, B), expected(CLOSE, GROUP), expected(late, GROUP),
    ]);
    // the bare addon socket: its thrown error was swallowed, delivery went on, nothing after close
    expect(got('bare').map(strip)).toEqual([
      expected(THROW, GROUP), expected(mcast, GROUP), expected(ucast, B), expected(CLOSE, GROUP),
    ]);
    expect(b.json().filter((j) => 'onError' in j)).toEqual([{ sock: 'wrapped', onError: 'handler failure on purpose' }]);

    // close() stops the poll: with both sockets closed the child has nothing left and exits
    b.proc.stdin!.write('quit\n');
    await b.waitFor('the listener to exit on its own', () => b.exit !== undefined, 10_000);
    expect(b.exit, b.stderr).toBe(0);
    expect(b.json().find((j) => j.quitting)).toEqual({ quitting: true, wrappedClosed: true });
  });
});

describe.skipIf(skipUnless(isRoot, 'root'))('native addon errors and AF_UNIX datagrams (no network traffic)', () => {
  let tmp = '';
  beforeAll(() => { tmp = mkdtempSync(join(tmpdir(), `${PFX}-`)); });
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  it('a bare addon error carries code, errno and syscall', () => {
    const e = (() => { try { loadNative().close(-1); } catch (x) { return x as NodeJS.ErrnoException; } return undefined; })();
    expect(e).toBeInstanceOf(Error);
    expect({ code: e!.code, errno: e!.errno, syscall: e!.syscall }).toEqual({ code: 'EBADF', errno: -9, syscall: 'close' });
    expect(e!.message).toBe('close EBADF (Bad file descriptor)');
  });

  it('PacketSocket: a send on an interface that does not exist is a SyscallError', () => {
    const p = new PacketSocket();
    try {
      const e = (() => { try { p.send(0x7ffffff0, buildGarp(parseMac(MAC_A)!, parseIp('10.13.0.5')!.bytes)); } catch (x) { return x; } return undefined; })();
      expect(e).toBeInstanceOf(SyscallError);
      expect(e).toBeInstanceOf(KtsError);
      expect(e).toMatchObject({ code: 'IO_SYSCALL', errnoCode: 'ENXIO', syscall: 'sendto' });
      expect(() => p.send(1, new Uint8Array(10))).toThrow(RangeError); // argument errors stay what they are
    } finally {
      p.close();
    }
    expect(() => p.send(1, new Uint8Array(42))).toThrow(KtsError);
    p.close();
  });

  it('Raw6Socket: joining on an unknown interface, bad arguments, use after close', () => {
    const s = new Raw6Socket(253, () => {}); // RFC 3692 experimental protocol, nothing is sent
    try {
      expect(() => s.join(0x7ffffff0, VRRP_GROUP_INET6)).toThrow(expect.objectContaining({ code: 'IO_SYSCALL', errnoCode: 'ENODEV', syscall: 'setsockopt' }));
      expect(() => s.send(1, new Uint8Array(15), VRRP_GROUP_INET6, new Uint8Array(8))).toThrow(RangeError);
      expect(() => s.bindDevice('x'.repeat(20))).toThrow(expect.objectContaining({ errnoCode: 'ENAMETOOLONG' }));
    } finally {
      s.close();
    }
    expect(s.closed).toBe(true);
    expect(() => s.join(1, VRRP_GROUP_INET6)).toThrow(expect.objectContaining({ code: 'INTERNAL' }));
    s.close();
  });

  /** A python3 AF_UNIX datagram receiver printing the first datagram as hex. */
  async function receiver(address: string): Promise<Child> {
    const py = 'import socket,sys\ns=socket.socket(socket.AF_UNIX,socket.SOCK_DGRAM)\n'
      + "a=sys.argv[1]\ns.bind('\\0'+a[1:] if a.startswith('@') else a)\nprint('ready',flush=True)\n"
      + 's.settimeout(20)\nprint(s.recv(4096).hex(),flush=True)\n';
    const c = new Child('python3', ['-c', py, address]);
    children.push(c);
    await c.waitFor('receiver ready', () => c.lines.includes('ready'));
    return c;
  }

  it.each([
    ['a path', (): string => join(tmp, 'notify.sock')],
    ['an abstract name', (): string => `@${PFX}-notify`],
  ])('unixDgramSend reaches %s', async (_what, address) => {
    const path = address();
    const c = await receiver(path);
    const msg = Buffer.from('READY=1\nSTATUS=running\n');
    expect(unixDgramSend(path, msg)).toBe(msg.length);
    await c.waitFor('datagram', () => c.lines.length >= 2);
    expect(c.lines[1]).toBe(msg.toString('hex'));
  });

  it('unixDgramSend to nobody is a SyscallError', () => {
    expect(() => unixDgramSend(join(tmp, 'absent.sock'), Buffer.from('x'))).toThrow(expect.objectContaining({ code: 'IO_SYSCALL', errnoCode: 'ENOENT', syscall: 'sendto' }));
    expect(() => unixDgramSend(`@${PFX}-absent`, Buffer.from('x'))).toThrow(expect.objectContaining({ errnoCode: 'ECONNREFUSED' }));
    expect(() => unixDgramSend(`/${'x'.repeat(200)}`, Buffer.from('x'))).toThrow(expect.objectContaining({ errnoCode: 'ENAMETOOLONG' }));
  });

  it('linkProbe: the loopback answers ethtool and flags, a missing interface is down, bad arguments throw', () => {
    const a = loadNative();
    expect(a.linkProbe('lo', 'flags')).toBe(1);
    expect(a.linkProbe('lo', 'ethtool')).toBe(1);
    expect(a.linkProbe('lo', 'mii')).toBe(-1);
    expect(['mii', 'ethtool', 'flags'].map((m) => a.linkProbe(`${PFX.slice(0, 12)}x`, m as 'mii'))).toEqual([-1, -1, 0]);
    expect(() => a.linkProbe('lo', 'bogus' as 'mii')).toThrow(TypeError);
    expect(() => a.linkProbe('x'.repeat(16), 'flags')).toThrow(TypeError);
  });
});
