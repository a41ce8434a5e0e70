/**
 * Runs the failover code paths once at start-up, on a private engine and a fake clock with
 * every effect discarded, so that the first real takeover does not pay for V8's lazy
 * compilation of code it has never run (measured: a millisecond or two on the first advert
 * and GARP after Master_Down, bench/failover).
 */
import type { AddressEntry } from '../config/model.js';
import { buildGarp, buildUnsolicitedNa } from '../l2/index.js';
import type { AddressPort } from './addresses.js';
import { VrrpEngine } from '../vrrp/engine.js';
import type { InstanceConfig } from '../vrrp/config.js';
import type { Effect } from '../vrrp/types.js';

export function warmUp(configs: readonly InstanceConfig[]): void {
  for (const family of ['inet', 'inet6'] as const) {
    const base = configs.find((c) => c.family === family);
    if (!base) continue;
    const cfg: InstanceConfig = {
      ...base, name: `warmup-${family}`, state: 'BACKUP', priority: 100, nopreempt: false, preemptDelayMs: 0,
      trackInterface: [], trackScript: [], trackFile: [], trackProcess: [],
    };
    const engine = new VrrpEngine({ instances: [cfg] });
    const effects: Effect[] = [];
    let step = engine.handle(0, { type: 'start' });
    effects.push(...step.effects);
    // Master_Down, then a few adverts as MASTER, then a higher-priority advert back to BACKUP
    for (let i = 0; i < 6 && step.deadline !== undefined; i++) {
      step = engine.handle(step.deadline, { type: 'tick' });
      effects.push(...step.effects);
    }
    const advert = effects.find((e): e is Extract<Effect, { type: 'sendAdvert' }> => e.type === 'sendAdvert');
    if (advert) {
      engine.handle(step.deadline ?? 0, { type: 'packet', interface: cfg.interface, packet: { family, data: advert.data, src: cfg.sourceAddress.bytes, dst: advert.dst, hopLimit: 255 } });
    }
  }
  buildGarp(new Uint8Array(6), new Uint8Array(4));
  buildUnsolicitedNa(new Uint8Array(6), new Uint8Array(16), false);
}

/**
 * The address side of a takeover, run once per family at start-up: the VIP's add request is
 * built and sent for interface index 0, which the kernel refuses (ENODEV) without touching
 * anything. On this path V8's first run costs about a millisecond between the new master's
 * advert and its first GARP (bench/failover).
 */
export async function warmUpAddresses(port: Pick<AddressPort, 'addAddress'>, entries: readonly AddressEntry[]): Promise<void> {
  for (const len of [4, 16]) {
    const e = entries.find((x) => x.address.bytes.length === len);
    if (!e) continue;
    await port.addAddress(e, 0).catch(() => undefined);
  }
}
