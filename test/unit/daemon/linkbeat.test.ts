// linkbeat_interfaces / linkbeat_use_polling (src/daemon/linkbeat.ts): which interfaces are
// polled and how their link is read, as keepalived's vrrp_if.c init_interface_linkbeat,
// init_linkbeat_status and if_linkbeat_refresh_thread decide, on a fake probe.
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { Linkbeat, linkbeatPlan, type LinkProbe } from '../../../src/daemon/linkbeat.js';

const loc = { file: 'k.conf', line: 1, col: 1 } as never;

/** A NIC per name: which methods answer, and its link. */
interface Nic { mii?: boolean; ethtool?: boolean; link: boolean; admin?: boolean; present?: boolean }

function rig(nics: Record<string, Nic>) {
  const lines: string[] = [];
  const calls: string[] = [];
  const log = pino({ level: 'info' }, { write: (s: string) => void lines.push(JSON.parse(s).msg as string) });
  const probe: LinkProbe = (ifname, how) => {
    calls.push(`${ifname}:${how}`);
    const n = nics[ifname];
    if (!n || n.present === false) return how === 'flags' ? 0 : -1;
    if (how === 'flags') return (n.admin ?? true) && n.link ? 1 : 0;
    if (how === 'mii') return n.mii ? (n.link ? 1 : 0) : -1;
    return n.ethtool ? (n.link ? 1 : 0) : -1;
  };
  const changes: [string, boolean][] = [];
  const lb = new Linkbeat(probe, (n) => nics[n] !== undefined && nics[n].present !== false, (n, up) => void changes.push([n, up]), log);
  return { lb, lines, calls, changes };
}

describe('linkbeatPlan', () => {
  const inst = (ifname: string, usePolling = false, vmac = false) => ({ ifname, usePolling, vmac });

  it('polls the linkbeat_interfaces that an instance tracks, with their methods', () => {
    const p = linkbeatPlan({ linkbeatInterfaces: [{ name: 'eth0', loc }, { name: 'eth1', method: 'MII', loc }, { name: 'eth2', loc }] }, [inst('eth0')], new Set(['eth0', 'eth1']));
    expect([...p.polled]).toEqual([['eth0', undefined], ['eth1', 'MII']]);
    expect(p.notes).toEqual(['Turning off linkbeat for eth2 since not used for tracking']);
  });

  it('linkbeat_use_polling (root or instance) adds the instances\' interfaces; a VMAC is left to rtnetlink', () => {
    const tracked = new Set(['eth0', 'eth1', 'vrrp.51']);
    expect([...linkbeatPlan({ linkbeatUsePolling: true }, [inst('eth0'), inst('vrrp.51', false, true)], tracked).polled.keys()]).toEqual(['eth0']);
    const p = linkbeatPlan({}, [inst('eth0'), inst('eth1', true), inst('vrrp.51', true, true)], tracked);
    expect([...p.polled.keys()]).toEqual(['eth1']);
    expect(p.notes).toEqual(['Turning off linkbeat for vrrp.51 since netlink works for vmacs/ipvlans']);
    // a method from linkbeat_interfaces stays when the instance asks for polling too
    expect([...linkbeatPlan({ linkbeatInterfaces: [{ name: 'eth1', method: 'IOCTL', loc }] }, [inst('eth1', true)], tracked).polled]).toEqual([['eth1', 'IOCTL']]);
  });
});

describe('Linkbeat', () => {
  const plan = (entries: [string, 'MII' | 'ETHTOOL' | 'IOCTL' | undefined][]) => ({ polled: new Map(entries), notes: [] });

  it('takes the first method that works: MII, then ETHTOOL, then the flags alone', () => {
    const { lb } = rig({ a: { mii: true, ethtool: true, link: true }, b: { ethtool: true, link: false }, c: { link: true } });
    lb.set(plan([['a', undefined], ['b', undefined], ['c', undefined]]));
    lb.stop();
    expect([lb.method('a'), lb.method('b'), lb.method('c'), lb.method('d')]).toEqual(['MII', 'ETHTOOL', 'IOCTL', undefined]);
    expect([lb.up('a'), lb.up('b'), lb.up('c'), lb.up('d')]).toEqual([true, false, true, undefined]);
  });

  it('a configured method that does not work falls back, and says so', () => {
    const { lb, lines } = rig({ a: { ethtool: true, link: true }, b: { mii: true, link: true }, c: { link: true } });
    lb.set(plan([['a', 'MII'], ['b', 'ETHTOOL'], ['c', 'ETHTOOL']]));
    lb.stop();
    expect([lb.method('a'), lb.method('b'), lb.method('c')]).toEqual(['ETHTOOL', 'MII', 'IOCTL']);
    expect(lines.filter((l) => l.includes('Configured'))).toEqual([
      '(a): Configured linkbeat type MII not supported, using ETHTOOL',
      '(b): Configured linkbeat type ETHTOOL not supported, using MII',
      '(c): Configured linkbeat type ETHTOOL not supported, using IOCTL',
    ]);
  });

  it('each poll reads the method, then the flags; a change is logged and reported once', () => {
    const nics: Record<string, Nic> = { a: { ethtool: true, link: true } };
    const { lb, lines, calls, changes } = rig(nics);
    lb.set(plan([['a', undefined]]));
    lb.stop();
    calls.length = 0;
    lb.tick();
    expect(calls).toEqual(['a:ethtool', 'a:flags']);
    nics.a!.link = false;
    lb.tick();
    lb.tick();
    nics.a!.link = true;
    lb.tick();
    expect(changes).toEqual([['a', false], ['a', true]]);
    expect(lines.filter((l) => l.startsWith('Linkbeat'))).toEqual(['Linkbeat reports a down', 'Linkbeat reports a up']);
    // administratively down: the flags say so whatever the carrier
    nics.a!.admin = false;
    lb.tick();
    expect(lb.up('a')).toBe(false);
  });

  it('an interface that comes later is probed then; one that goes is down', () => {
    const nics: Record<string, Nic> = { late: { mii: true, link: true, present: false } };
    const { lb, changes } = rig(nics);
    lb.set(plan([['late', undefined]]));
    lb.stop();
    expect([lb.up('late'), lb.method('late')]).toEqual([false, 'unknown']);
    nics.late!.present = true;
    lb.tick();
    expect([lb.up('late'), lb.method('late')]).toEqual([true, 'MII']);
    nics.late!.present = false;
    lb.tick();
    expect(changes).toEqual([['late', true], ['late', false]]);
  });

  it('a probe that throws is counted and read as a failed ioctl; polling goes on', () => {
    const { lb } = rig({});
    const log = pino({ level: 'silent' });
    const throwing = new Linkbeat(() => { throw new Error('EINVAL'); }, () => true, () => undefined, log);
    throwing.set(plan([['x', undefined]]));
    throwing.tick();
    throwing.stop();
    expect([throwing.method('x'), throwing.up('x')]).toEqual(['IOCTL', true]);
    expect(throwing.probeErrors).toBeGreaterThanOrEqual(3);
    lb.stop();
  });

  it('a reload keeps the state of an interface still polled the same way, and stops polling when none is left', () => {
    const nics: Record<string, Nic> = { a: { ethtool: true, link: true }, b: { link: true } };
    const { lb, calls } = rig(nics);
    lb.set(plan([['a', undefined], ['b', undefined]]));
    calls.length = 0;
    lb.set(plan([['a', undefined]]));
    expect(calls).toEqual([]);
    expect(lb.polls('b')).toBe(false);
    lb.set(plan([['a', 'IOCTL']]));
    expect(lb.method('a')).toBe('IOCTL');
    lb.set(plan([]));
    expect(lb.polls('a')).toBe(false);
  });
});
