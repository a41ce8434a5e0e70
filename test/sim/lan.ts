// A simulated LAN of sans-I/O VRRP engines on a fake clock. Adverts sent by one node are
// delivered to the others after `delayMs`, subject to loss and partitions; the clock jumps
// from event to event (deliveries and engine deadlines), so hours of virtual time run fast
// and every instant is exact.
import { prng } from '../../src/util/prng.js';
import { parseIp, type IpAddress } from '../../src/util/ip.js';
import type { EngineConfig, InstanceConfig } from '../../src/vrrp/config.js';
import { VrrpEngine } from '../../src/vrrp/engine.js';
import type { Effect, Input, VrrpState } from '../../src/vrrp/types.js';

export interface TraceEntry { readonly t: number; readonly node: string; readonly effect: Effect }

export interface SimNode {
  readonly name: string;
  readonly address: IpAddress;
  readonly engine: VrrpEngine;
  deadline: number | undefined;
}

interface Delivery { readonly at: number; readonly seq: number; readonly to: SimNode; readonly from: SimNode; readonly effect: Extract<Effect, { type: 'sendAdvert' }> }

/** Deterministic PRNG (mulberry32), src/util/prng.ts. */
export const rng = prng;

export interface LanOptions {
  readonly delayMs?: number;
  readonly lossRate?: number;
  readonly seed?: number;
  /** keep every effect in `trace` (off for benchmarks) */
  readonly trace?: boolean;
}

export class SimLan {
  now = 0;
  readonly nodes: SimNode[] = [];
  readonly trace: TraceEntry[] = [];
  delayMs: number;
  lossRate: number;
  delivered = 0;
  private readonly random: () => number;
  private readonly keepTrace: boolean;
  private deliveries: Delivery[] = [];
  private head = 0;
  private seq = 0;
  /** node name -> partition id; nodes in different partitions cannot hear each other */
  private partitionOf = new Map<string, number>();
  /** observer for every effect (for assertions that need more than the trace) */
  onEffect: ((e: TraceEntry) => void) | undefined;

  constructor(opts: LanOptions = {}) {
    this.delayMs = opts.delayMs ?? 0;
    this.lossRate = opts.lossRate ?? 0;
    this.random = rng(opts.seed ?? 1);
    this.keepTrace = opts.trace ?? true;
  }

  addNode(name: string, address: string, cfg: EngineConfig): SimNode {
    const node: SimNode = { name, address: parseIp(address)!, engine: new VrrpEngine(cfg), deadline: undefined };
    this.nodes.push(node);
    return node;
  }

  node(name: string): SimNode {
    const n = this.nodes.find((x) => x.name === name);
    if (!n) throw new Error(`no node ${name}`);
    return n;
  }

  /** Feeds an input to one node at the current time. */
  input(name: string, input: Input): void {
    this.feed(this.node(name), input);
  }

  startAll(): void {
    for (const n of this.nodes) this.feed(n, { type: 'start' });
  }

  partition(...groups: string[][]): void {
    this.partitionOf = new Map();
    groups.forEach((g, i) => g.forEach((n) => this.partitionOf.set(n, i)));
  }

  heal(): void {
    this.partitionOf = new Map();
  }

  state(node: string, instance: string): VrrpState {
    return this.node(node).engine.instance(instance)!.state;
  }

  /** Runs every event up to and including `until`, then sets the clock to `until`. */
  runUntil(until: number): void {
    for (;;) {
      const nextDelivery = this.head < this.deliveries.length ? this.deliveries[this.head]!.at : Infinity;
      let nextTick = Infinity;
      for (const n of this.nodes) if (n.deadline !== undefined && n.deadline < nextTick) nextTick = n.deadline;
      const t = Math.min(nextDelivery, nextTick);
      if (t > until || t === Infinity) break;
      this.now = t;
      if (nextDelivery <= nextTick) {
        const d = this.deliveries[this.head++]!;
        if (this.head > 1024 && this.head * 2 > this.deliveries.length) {
          this.deliveries = this.deliveries.slice(this.head);
          this.head = 0;
        }
        this.deliver(d);
      } else {
        for (const n of this.nodes) if (n.deadline !== undefined && n.deadline <= t) this.feed(n, { type: 'tick' });
      }
    }
    this.now = until;
  }

  runFor(ms: number): void {
    this.runUntil(this.now + ms);
  }

  /** Nodes whose instance `name` is in `state` now. */
  inState(instance: string, state: VrrpState): string[] {
    return this.nodes.filter((n) => n.engine.instance(instance)?.state === state).map((n) => n.name);
  }

  transitions(node?: string, instance?: string): TraceEntry[] {
    return this.trace.filter((e) => e.effect.type === 'stateChange' && (node === undefined || e.node === node)
      && (instance === undefined || (e.effect as { instance: string }).instance === instance));
  }

  private feed(node: SimNode, input: Input): void {
    const step = node.engine.handle(this.now, input);
    node.deadline = step.deadline;
    const observe = this.keepTrace || this.onEffect !== undefined;
    for (const effect of step.effects) {
      if (observe) {
        const entry = { t: this.now, node: node.name, effect };
        if (this.keepTrace) this.trace.push(entry);
        this.onEffect?.(entry);
      }
      if (effect.type === 'sendAdvert') this.send(node, effect);
    }
  }

  private send(from: SimNode, effect: Extract<Effect, { type: 'sendAdvert' }>): void {
    const multicast = effect.family === 'inet' ? (effect.dst[0]! & 0xf0) === 0xe0 : effect.dst[0] === 0xff;
    const at = this.delayMs === 0 ? this.now : Math.round((this.now + this.delayMs) * 1000) / 1000;
    const split = this.partitionOf.size > 0;
    const fromPart = split ? this.partitionOf.get(from.name) ?? -1 : -1;
    for (const to of this.nodes) {
      if (to === from) continue;
      if (!multicast && !sameBytes(to.address.bytes, effect.dst)) continue;
      if (split && fromPart !== (this.partitionOf.get(to.name) ?? -1)) continue;
      if (this.lossRate > 0 && this.random() < this.lossRate) continue;
      const d: Delivery = { at, seq: this.seq++, to, from, effect };
      // keep deliveries ordered by (at, seq); appends are the common case
      let i = this.deliveries.length;
      while (i > this.head && this.deliveries[i - 1]!.at > d.at) i--;
      this.deliveries.splice(i, 0, d);
    }
  }

  private deliver(d: Delivery): void {
    this.delivered++;
    const e = d.effect;
    const packet = e.family === 'inet'
      ? { family: 'inet' as const, data: e.data }
      : { family: 'inet6' as const, data: e.data, src: d.from.address.bytes, dst: e.dst, hopLimit: 255 };
    this.feed(d.to, { type: 'packet', interface: e.interface, packet });
  }
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** A terse InstanceConfig for tests: VRID n, VIP 10.0.<n>.1, interface eth0. */
export function vi(
  name: string, vrid: number, priority: number, source: string, extra: Partial<InstanceConfig> = {},
): InstanceConfig {
  const v6 = source.includes(':');
  return {
    name,
    interface: 'eth0',
    family: v6 ? 'inet6' : 'inet',
    version: v6 ? 3 : 2,
    virtualRouterId: vrid,
    priority,
    state: 'BACKUP',
    advertIntervalMs: 1000,
    virtualIpaddress: [parseIp(v6 ? `fe80::${vrid.toString(16)}` : `10.0.${vrid}.1`)!],
    sourceAddress: parseIp(source)!,
    ...extra,
  };
}
