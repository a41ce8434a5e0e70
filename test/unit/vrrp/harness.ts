// Drives one VrrpEngine on a fake clock and crafts adverts from imaginary peers.
import { parseIp } from '../../../src/util/ip.js';
import type { EngineConfig, InstanceConfig } from '../../../src/vrrp/config.js';
import { VrrpEngine } from '../../../src/vrrp/engine.js';
import { encodeAdvert, VRRP_GROUP_INET, type RxPacket } from '../../../src/vrrp/packet.js';
import type { Effect, Input, VrrpState } from '../../../src/vrrp/types.js';

export const ip = (s: string): Uint8Array => parseIp(s)!.bytes;

export interface PeerAdvert {
  priority: number;
  src?: string;
  dst?: string;
  intervalMs?: number;
  version?: 2 | 3;
  vrid?: number;
  vips?: string[];
  ttl?: number;
  password?: string;
}

export class Harness {
  now = 0;
  readonly engine: VrrpEngine;
  readonly log: { t: number; effect: Effect }[] = [];
  deadline: number | undefined;
  private readonly base: InstanceConfig;

  constructor(cfg: InstanceConfig | EngineConfig) {
    const ecfg = 'instances' in cfg ? cfg : { instances: [cfg] };
    this.base = ecfg.instances[0]!;
    this.engine = new VrrpEngine(ecfg);
  }

  feed(input: Input): Effect[] {
    const step = this.engine.handle(this.now, input);
    this.deadline = step.deadline;
    for (const effect of step.effects) this.log.push({ t: this.now, effect });
    return step.effects;
  }

  /** Moves the clock to `t`, firing every deadline on the way. */
  at(t: number): this {
    while (this.deadline !== undefined && this.deadline <= t) {
      this.now = this.deadline;
      this.feed({ type: 'tick' });
    }
    this.now = t;
    return this;
  }

  start(): Effect[] {
    return this.feed({ type: 'start' });
  }

  /** An advert from a peer for the first instance (defaults: its VRID, VIPs, interval). */
  packet(a: PeerAdvert): RxPacket {
    const b = this.base;
    const version = a.version ?? b.version;
    const pw = new Uint8Array(8);
    const pass = a.password ?? b.authentication?.authPass;
    if (pass) pw.set(new TextEncoder().encode(pass).subarray(0, 8));
    const src = ip(a.src ?? '10.0.0.9');
    const dst = a.dst ? ip(a.dst) : VRRP_GROUP_INET;
    const data = encodeAdvert({
      version, vrid: a.vrid ?? b.virtualRouterId, priority: a.priority, adverIntervalMs: a.intervalMs ?? b.advertIntervalMs,
      addrs: (a.vips ?? b.virtualIpaddress.map((v) => v.bytes)).map((v) => (typeof v === 'string' ? ip(v) : v)),
      authType: pass && version === 2 ? 1 : 0, authData: version === 2 ? pw : undefined,
    }, { family: 'inet', src, dst, ttl: a.ttl ?? 255, ipId: 7 });
    return { family: 'inet', data };
  }

  advert(a: PeerAdvert): Effect[] {
    return this.feed({ type: 'packet', interface: b(this.base), packet: this.packet(a) });
  }

  state(name = this.base.name): VrrpState {
    return this.engine.instance(name)!.state;
  }

  /** Effects since time t (inclusive) of the given types. */
  since<T extends Effect['type']>(t: number, ...types: T[]): Extract<Effect, { type: T }>[] {
    return this.log.filter((e) => e.t >= t && (types.length === 0 || types.includes(e.effect.type as T)))
      .map((e) => e.effect as Extract<Effect, { type: T }>);
  }

  transitions(): string[] {
    return this.log.flatMap((e) => (e.effect.type === 'stateChange' ? [`${e.effect.from}->${e.effect.to}@${e.t}`] : []));
  }
}

function b(cfg: InstanceConfig): string {
  return cfg.interface;
}

/** A v2 IPv4 instance VI_1, VRID 51, VIP 10.0.51.1, source 10.0.0.5. */
export function cfg(extra: Partial<InstanceConfig> = {}): InstanceConfig {
  return {
    name: 'VI_1', interface: 'eth0', family: 'inet', version: 2, virtualRouterId: 51, priority: 100,
    state: 'BACKUP', advertIntervalMs: 1000, virtualIpaddress: [parseIp('10.0.51.1')!],
    sourceAddress: parseIp('10.0.0.5')!, ...extra,
  };
}
