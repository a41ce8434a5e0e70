// AddressManager (src/daemon/addresses.ts) against a fake rtnetlink port: order of operations,
// ownership, leftovers at start-up, restoring a VIP deleted by someone else, and the race that
// once restored a VIP right after our own delete.
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import type { AddressEntry, RouteEntry, RuleEntry } from '../../../src/config/model.js';
import { AddressManager, type AddressPort, type AddressSet } from '../../../src/daemon/addresses.js';
import { LinkTable } from '../../../src/daemon/links.js';
import { parsePrefix } from '../../../src/util/ip.js';

const log = pino({ level: 'silent' });
const loc = 0 as never;

function vip(text: string, dev?: string): AddressEntry {
  return {
    loc, address: parsePrefix(text)!, ...(dev ? { dev } : {}), noDad: true, noPrefixRoute: false, home: false, noTrack: false, useVmac: false,
  };
}

class FakePort implements AddressPort {
  readonly ops: string[] = [];
  private gate: Promise<void> | undefined;
  private open: (() => void) | undefined;
  hold(): void {
    this.gate = new Promise((r) => { this.open = r; });
  }
  release(): void {
    this.open?.();
    this.gate = undefined;
  }
  private async step(op: string): Promise<void> {
    if (this.gate) await this.gate;
    this.ops.push(op);
  }
  addAddress(e: AddressEntry, i: number) { return this.step(`add ${e.address.prefixLen} ${i}`); }
  deleteAddress(e: AddressEntry, i: number) { return this.step(`del ${e.address.prefixLen} ${i}`); }
  addRoute(r: RouteEntry) { return this.step(`add route ${r.words.join(' ')}`); }
  deleteRoute(r: RouteEntry) { return this.step(`del route ${r.words.join(' ')}`); }
  addRule(r: RuleEntry, o?: { preference?: number }) { return this.step(`add rule ${r.words.join(' ')} pref ${o?.preference}`); }
  deleteRule(r: RuleEntry, o?: { preference?: number }) { return this.step(`del rule ${r.words.join(' ')} pref ${o?.preference}`); }
  prepareAddress(e: AddressEntry, i: number) { this.ops.push(`prepare ${e.address.prefixLen} ${i}`); }
}

const link = (index: number, name: string) => ({ index, name, up: true, running: true, lowerUp: true, mac: new Uint8Array(6), mtu: 1500, flags: 0 });
const links = () => new LinkTable([link(2, 'eth0'), link(3, 'eth1')] as never, [
  { index: 2, family: 'inet', address: Uint8Array.of(10, 0, 0, 1), prefixLen: 24, scope: 0, flags: 0 },
] as never);
const route = { loc, words: ['10.8.0.0/16', 'via', '10.0.0.254'] } as unknown as RouteEntry;
const rule = { loc, words: ['from', '10.0.0.1', 'table', '100'] } as unknown as RuleEntry;
const set: AddressSet = { owner: 'VI_1', interface: 'eth0', addresses: [vip('10.0.0.1/24'), vip('10.9.0.1/32', 'eth1')], routes: [route], rules: [rule] };

describe('AddressManager', () => {
  it('installs addresses, routes, rules in that order and removes them in reverse', async () => {
    const port = new FakePort();
    const m = new AddressManager(port, links(), log);
    m.numberRules([rule]);
    await m.install(set);
    await m.remove(set);
    expect(port.ops).toEqual([
      'add 24 2', 'add 32 3', 'add route 10.8.0.0/16 via 10.0.0.254', 'add rule from 10.0.0.1 table 100 pref 16384',
      'del rule from 10.0.0.1 table 100 pref 16384', 'del route 10.8.0.0/16 via 10.0.0.254', 'del 24 2', 'del 32 3',
    ]);
  });

  it('prepare builds each address add on its interface and sends nothing; an unknown interface is skipped', () => {
    const port = new FakePort();
    const m = new AddressManager(port, links(), log);
    m.prepare({ ...set, addresses: [...set.addresses, vip('10.7.0.1/32', 'eth9')] });
    expect(port.ops).toEqual(['prepare 24 2', 'prepare 32 3']);
  });

  it('removes configured addresses left behind by an earlier run, and nothing else', async () => {
    const port = new FakePort();
    const m = new AddressManager(port, links(), log);
    await m.removeLeftovers([set]);
    // 10.0.0.1 is on eth0 (leftover); 10.9.0.1 is not present on eth1
    expect(port.ops).toEqual(['del 24 2']);
  });

  it('restores a VIP deleted by someone else while held, once', async () => {
    const port = new FakePort();
    const m = new AddressManager(port, links(), log);
    await m.install({ ...set, routes: [], rules: [] });
    const gone = { index: 2, family: 'inet' as const, address: Uint8Array.of(10, 0, 0, 1), prefixLen: 24, scope: 0, flags: 0 };
    m.addressDeleted(gone);
    await m.idle();
    expect(port.ops.slice(2)).toEqual(['add 24 2']);
    expect(m.restored).toBe(1);
    // an address we do not hold is never touched
    m.addressDeleted({ ...gone, address: Uint8Array.of(10, 0, 0, 77) });
    await m.idle();
    expect(port.ops.length).toBe(3);
  });

  it('a removal queued right after an install wins over the delete notification it causes', async () => {
    const port = new FakePort();
    const m = new AddressManager(port, links(), log);
    const one = { ...set, addresses: [vip('10.0.0.1/24')], routes: [], rules: [] };
    port.hold();
    void m.install(one);
    void m.remove(one);
    port.release();
    await m.idle();
    // the kernel reports our own delete: no restore
    m.addressDeleted({ index: 2, family: 'inet', address: Uint8Array.of(10, 0, 0, 1), prefixLen: 24, scope: 0, flags: 0 } as never);
    await m.idle();
    expect(port.ops).toEqual(['add 24 2', 'del 24 2']);
    expect(m.restored).toBe(0);
  });

  it('a failing operation is counted and does not stop the queue', async () => {
    const port = new FakePort();
    port.addAddress = () => Promise.reject(new Error('EPERM'));
    const m = new AddressManager(port, links(), log);
    await m.install({ ...set, routes: [], rules: [] });
    await m.remove({ ...set, routes: [], rules: [] });
    expect(m.failures).toBe(2);
    expect(port.ops).toEqual(['del 24 2', 'del 32 3']);
  });

  it('an add with nothing pending reaches the port in the caller\'s turn; a later one waits for the answer before it', async () => {
    const calls: string[] = [];
    const answers: (() => void)[] = [];
    const port = {
      addAddress: (e: AddressEntry) => {
        calls.push(`add /${e.address.prefixLen}`);
        return new Promise<void>((r) => answers.push(r));
      },
    } as unknown as AddressPort;
    const m = new AddressManager(port, links(), log);
    const a: AddressSet = { owner: 'VI_1', interface: 'eth0', addresses: [vip('10.0.0.5/32')], routes: [], rules: [] };
    const b: AddressSet = { owner: 'VI_2', interface: 'eth0', addresses: [vip('10.0.0.6/31')], routes: [], rules: [] };
    void m.install(a);
    expect(calls).toEqual(['add /32']); // no await in between: a GARP sent now follows the request
    expect(m.allSubmitted()).toBe(true);
    void m.install(b);
    expect(m.allSubmitted()).toBe(false);
    let submitted = false;
    void m.submitted().then(() => { submitted = true; });
    await new Promise((r) => setImmediate(r));
    expect(calls).toEqual(['add /32']);
    expect(submitted).toBe(false);
    answers[0]!();
    await new Promise((r) => setImmediate(r));
    expect(calls).toEqual(['add /32', 'add /31']);
    expect(submitted).toBe(true);
    expect(m.allSubmitted()).toBe(true);
    answers[1]!();
    await m.idle();
  });
});
