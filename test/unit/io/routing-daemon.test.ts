// The routing daemon watch (src/io/routing-daemon.ts) on a fake /proc: a daemon is found by its
// name in our network namespace only, its stop and its return (a new pid) are reported once
// each, and a process that is not one of the watched names is not taken for it.
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RoutingDaemonWatch, type RoutingDaemonSeen } from '../../../src/io/routing-daemon.js';

let proc: string;
const OURS = 'net:[4026531992]';
const process_ = (pid: string | number, comm: string, net = OURS): void => {
  mkdirSync(join(proc, String(pid), 'ns'), { recursive: true });
  writeFileSync(join(proc, String(pid), 'comm'), `${comm}\n`);
  symlinkSync(net, join(proc, String(pid), 'ns', 'net'));
};
const gone = (pid: number): void => rmSync(join(proc, String(pid)), { recursive: true });

beforeEach(() => {
  proc = mkdtempSync(join(tmpdir(), 'kts-proc-'));
  process_('self', 'vitest');
});
afterEach(() => rmSync(proc, { recursive: true, force: true }));

function rig(names = ['bgpd', 'bird']) {
  const seen: [RoutingDaemonSeen | undefined, RoutingDaemonSeen | undefined, boolean][] = [];
  const w = new RoutingDaemonWatch(names, (now, was, first) => void seen.push([now, was, first]), proc);
  return { w, seen };
}

describe('RoutingDaemonWatch', () => {
  it('reports its absence at the first look, then its start, stop and restart', async () => {
    process_(10, 'zebra');
    const { w, seen } = rig();
    await w.tick();
    expect(seen).toEqual([[undefined, undefined, true]]);
    process_(20, 'bgpd');
    await w.tick();
    await w.tick();
    expect(seen.slice(1)).toEqual([[{ name: 'bgpd', pid: 20 }, undefined, false]]);
    gone(20);
    await w.tick();
    expect(seen.at(-1)).toEqual([undefined, { name: 'bgpd', pid: 20 }, false]);
    process_(30, 'bgpd');
    await w.tick();
    expect(seen.at(-1)).toEqual([{ name: 'bgpd', pid: 30 }, undefined, false]);
    expect(w.current()).toEqual({ name: 'bgpd', pid: 30 });
    expect(seen).toHaveLength(4);
  });

  it('a daemon of another network namespace is not ours', async () => {
    process_(40, 'bird', 'net:[4026532500]');
    const { w, seen } = rig();
    await w.tick();
    expect(seen).toEqual([[undefined, undefined, true]]);
    process_(41, 'bird');
    await w.tick();
    expect(w.current()).toEqual({ name: 'bird', pid: 41 });
  });

  it('a pid taken by another process is a stop; a restart between two looks is one change', async () => {
    process_(50, 'bgpd');
    const { w, seen } = rig();
    await w.tick();
    expect(seen).toEqual([[{ name: 'bgpd', pid: 50 }, undefined, true]]);
    gone(50);
    process_(50, 'sleep');
    process_(51, 'bgpd');
    await w.tick();
    expect(seen.at(-1)).toEqual([{ name: 'bgpd', pid: 51 }, { name: 'bgpd', pid: 50 }, false]);
  });

  it('watches the names a reload gives', async () => {
    process_(60, 'gobgpd');
    const { w } = rig(['bgpd']);
    await w.tick();
    expect(w.current()).toBeUndefined();
    w.setNames(['gobgpd']);
    await w.tick();
    expect(w.current()).toEqual({ name: 'gobgpd', pid: 60 });
  });
});
