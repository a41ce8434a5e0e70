// The firewall's bookkeeping (src/daemon/firewall.ts) with a fake nft: which transactions go
// out when instances take and give up their VIPs, share one, reload, and when nft refuses one.
// What the kernel makes of them is test/netns/firewall.test.ts (beside keepalived).
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import type { NftCommand, NftPort } from '../../../src/io/nft.js';
import { type FirewallAddress, VipFirewall } from '../../../src/daemon/firewall.js';

class FakeNft implements NftPort {
  batches: NftCommand[][] = [];
  refuse = false;
  async run(commands: readonly NftCommand[]): Promise<void> {
    this.batches.push([...commands]);
    if (this.refuse) throw new Error('Error: Could not process rule: No such file or directory');
  }
}

const v4 = (ip: string): FirewallAddress => ({ family: 'inet', ip, ifname: 'eth0', byName: false });
const v6 = (ip: string, byName = false): FirewallAddress => ({ family: 'inet6', ip, ifname: 'eth0', byName });
const verbs = (b: NftCommand[]): string[] => b.map((c) => {
  const [verb, body] = Object.entries(c)[0]!;
  const [kind, o] = Object.entries(body as Record<string, Record<string, unknown>>)[0]!;
  return `${verb} ${kind} ${String(o.family)} ${String(o.name ?? o.chain ?? '')}${o.elem && kind === 'element' ? ` ${JSON.stringify(o.elem)}` : ''}`.trim();
});

function make(): { nft: FakeNft; fw: VipFirewall } {
  const nft = new FakeNft();
  return { nft, fw: new VipFirewall(nft, { table: 'keepalived', priority: -1, counters: false }, pino({ level: 'silent' })) };
}

describe('VipFirewall', () => {
  it('the first IPv4 VIP makes the table (a leftover removed in the same transaction), then only elements move', async () => {
    const { nft, fw } = make();
    await fw.add('V1', [v4('10.0.0.1'), v4('10.0.0.2')]);
    expect(verbs(nft.batches[0]!)).toEqual([
      'add table ip keepalived', 'delete table ip keepalived', 'add table ip keepalived',
      'add chain ip out', 'add chain ip in', 'add set ip vips', 'add rule ip in', 'add rule ip out',
      'add element ip vips ["10.0.0.1","10.0.0.2"]',
    ]);
    await fw.remove('V1');
    expect(verbs(nft.batches[1]!)).toEqual(['delete element ip vips ["10.0.0.1","10.0.0.2"]']);
    await fw.add('V1', [v4('10.0.0.1'), v4('10.0.0.2')]);
    expect(verbs(nft.batches[2]!)).toEqual(['add element ip vips ["10.0.0.1","10.0.0.2"]']);
    await fw.stop();
    expect(verbs(nft.batches[3]!)).toEqual(['delete table ip keepalived']);
  });

  it('IPv6: the table with neighbour discovery let through; link-local VIPs by index, or by name', async () => {
    const { nft, fw } = make();
    await fw.add('V6', [v6('fe80::1'), v6('2001:db8::1'), v6('fe80::2', true)]);
    const b = verbs(nft.batches[0]!);
    expect(b.slice(2, 15)).toEqual([
      'add table ip6 keepalived', 'add chain ip6 out', 'add chain ip6 in', 'add chain ip6 in_link_local', 'add chain ip6 out_link_local',
      'add set ip6 vips', 'add set ip6 neighbor-discovery', 'add rule ip6 in', 'add rule ip6 in', 'add rule ip6 out', 'add rule ip6 out',
      'add rule ip6 in', 'add rule ip6 out',
    ]);
    expect(b).toContain('add set ip6 vips_link_local');
    expect(b).toContain('add set ip6 vips_link_local_name');
    expect(b).toContain('add element ip6 vips_link_local [{"concat":["fe80::1","eth0"]}]');
    expect(b).toContain('add element ip6 vips_link_local_name [{"concat":["fe80::2","eth0"]}]');
    expect(b).toContain('add element ip6 vips ["2001:db8::1"]');
  });

  it('a VIP two instances hold stays until neither holds it', async () => {
    const { nft, fw } = make();
    await fw.add('A', [v4('10.0.0.1'), v4('10.0.0.9')]);
    await fw.add('B', [v4('10.0.0.9')]);
    expect(nft.batches).toHaveLength(1);
    await fw.remove('A');
    expect(verbs(nft.batches[1]!)).toEqual(['delete element ip vips ["10.0.0.1"]']);
    await fw.remove('B');
    expect(verbs(nft.batches[2]!)).toEqual(['delete element ip vips ["10.0.0.9"]']);
  });

  it('a reload moves what changed only, in one transaction (a renamed instance keeps its elements)', async () => {
    const { nft, fw } = make();
    await fw.add('OLD', [v4('10.0.0.1'), v4('10.0.0.2')]);
    await fw.add('GONE', [v4('10.0.0.7')]);
    await fw.reconcile(new Map([['NEW', [v4('10.0.0.2'), v4('10.0.0.3')]]]));
    expect(verbs(nft.batches.at(-1)!)).toEqual(['delete element ip vips ["10.0.0.1","10.0.0.7"]', 'add element ip vips ["10.0.0.3"]']);
    await fw.reconcile(new Map([['NEW', [v4('10.0.0.2'), v4('10.0.0.3')]]]));
    expect(nft.batches).toHaveLength(3);
  });

  it('a transaction nft refuses is counted, and the next ones still go', async () => {
    const { nft, fw } = make();
    nft.refuse = true;
    await fw.add('V1', [v4('10.0.0.1')]);
    expect(fw.errors).toBe(1);
    nft.refuse = false;
    await fw.remove('V1');
    expect(nft.batches).toHaveLength(2);
    expect(fw.errors).toBe(1);
  });

  it('counters: every rule counts before its verdict', async () => {
    const nft = new FakeNft();
    const fw = new VipFirewall(nft, { table: 'kt', priority: 5, counters: true }, pino({ level: 'silent' }));
    await fw.add('V1', [v4('10.0.0.1')]);
    const rules = nft.batches[0]!.filter((c) => 'rule' in (c.add as object ?? {})).map((c) => (c.add as { rule: { expr: unknown[] } }).rule.expr);
    expect(rules).toHaveLength(2);
    for (const e of rules) expect(e[1]).toEqual({ counter: { packets: 0, bytes: 0 } });
    const chain = nft.batches[0]!.find((c) => 'chain' in (c.add as object ?? {})) as { add: { chain: { prio: number } } };
    expect(chain.add.chain.prio).toBe(5);
  });
});
