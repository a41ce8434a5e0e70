/**
 * The kernel parameters keepalived 2.2.7 sets for a VMAC (vrrp_if_config.c), through /proc/sys.
 *
 * - On the VMAC and its base interface: the settings of vmacSysctls() (src/netlink/vmac.ts).
 *   The base interface's old arp_ignore/arp_filter are saved by the first VMAC on it and put
 *   back when the last one goes (`release`).
 * - rp_filter = 0 on the VMAC only works when net.ipv4.conf.all.rp_filter is 0 (the kernel uses
 *   the larger of `all` and the interface's). So, once, when `all` is not 0: `default` and every
 *   interface are raised to at least `all`'s value (nothing changes for them), then `all` is set
 *   to 0. `restore()` undoes that where nobody changed the values since.
 *
 * `root` is /proc/sys; tests point it at a directory of their own.
 */
import { readFileSync } from 'node:fs';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { RtnlError } from '../netlink/error.js';
import { sysctlName, vmacSysctls } from '../netlink/vmac.js';

function errnoOf(e: unknown): string {
  const code = (e as { code?: unknown })?.code;
  return typeof code === 'string' ? code : String((e as Error)?.message ?? e);
}

/** The IPv4 sysctls keepalived shows for an interface in its data dump. */
export interface InetConf {
  readonly arpIgnore: number;
  readonly arpFilter: number;
  readonly promoteSecondaries: number;
}

/** net.ipv4.conf.IFNAME.{arp_ignore,arp_filter,promote_secondaries} now (a dump's read); undefined if unreadable. */
export function readInetConf(ifname: string, root = '/proc/sys'): InetConf | undefined {
  const read = (name: string): number => Number(readFileSync(`${root}/net/ipv4/conf/${ifname}/${name}`, 'utf8').trim());
  try {
    return { arpIgnore: read('arp_ignore'), arpFilter: read('arp_filter'), promoteSecondaries: read('promote_secondaries') };
  } catch {
    return undefined;
  }
}

export class Sysctl {
  constructor(readonly root = '/proc/sys') {}

  async read(path: string): Promise<number> {
    let text: string;
    try {
      text = await readFile(`${this.root}/${path}`, 'utf8');
    } catch (e) {
      throw new RtnlError('SYSCTL_WRITE', 'read', sysctlName(path), errnoOf(e), { errno: errnoOf(e), cause: e });
    }
    const v = Number(text.trim());
    if (!Number.isInteger(v)) throw new RtnlError('SYSCTL_WRITE', 'read', sysctlName(path), `not a number: '${text.trim()}'`);
    return v;
  }

  async write(path: string, value: number): Promise<void> {
    try {
      await writeFile(`${this.root}/${path}`, `${value}\n`);
    } catch (e) {
      throw new RtnlError('SYSCTL_WRITE', 'set', `${sysctlName(path)}=${value}`, errnoOf(e), { errno: errnoOf(e), cause: e });
    }
  }
}

interface BaseSaved {
  users: number;
  arpIgnore: number;
  arpFilter: number;
}

/** The VMAC sysctls of one daemon: apply per VMAC, release per VMAC, restore at exit. */
export class VmacSysctls {
  private readonly bases = new Map<string, BaseSaved>();
  /** all.rp_filter before we cleared it, with default's and each interface's old value. */
  private rpFilter: { all: number; default?: number; ifaces: Map<string, number> } | undefined;

  constructor(private readonly sysctl = new Sysctl()) {}

  /**
   * Applies keepalived's settings for VMAC `vmac` (already created) on `base`. An IPv4 VMAC
   * carrying IPv6 eVIPs keeps IPv6 (`ipv6: true`).
   */
  async apply(vmac: string, base: string, family: 'inet' | 'inet6', opts: { ipv6?: boolean } = {}): Promise<void> {
    const plan = vmacSysctls(vmac, base, family, opts);
    if (family === 'inet') await this.clearRpFilter();
    for (const s of plan.vmac) {
      try {
        await this.sysctl.write(s.path, s.value);
      } catch (e) {
        // no IPv6 in this kernel (ipv6.disable=1): there is nothing to disable
        if (!(s.path.endsWith('/disable_ipv6') && s.value === 1 && (e as RtnlError).errno === 'ENOENT')) throw e;
      }
    }
    if (plan.base.length === 0) return;
    const saved = this.bases.get(base);
    if (saved) {
      saved.users++;
      return;
    }
    const arpIgnore = await this.sysctl.read(`net/ipv4/conf/${base}/arp_ignore`);
    const arpFilter = await this.sysctl.read(`net/ipv4/conf/${base}/arp_filter`);
    this.bases.set(base, { users: 1, arpIgnore, arpFilter });
    for (const s of plan.base) await this.sysctl.write(s.path, s.value);
  }

  /** An IPv4 VMAC on `base` is gone: the last one puts back the base's arp_ignore/arp_filter. */
  async release(base: string): Promise<void> {
    const saved = this.bases.get(base);
    if (!saved || --saved.users > 0) return;
    this.bases.delete(base);
    try {
      await this.sysctl.write(`net/ipv4/conf/${base}/arp_ignore`, saved.arpIgnore);
      await this.sysctl.write(`net/ipv4/conf/${base}/arp_filter`, saved.arpFilter);
    } catch (e) {
      if ((e as RtnlError).errno !== 'ENOENT') throw e; // the base interface is gone
    }
  }

  private async clearRpFilter(): Promise<void> {
    if (this.rpFilter) return;
    const all = await this.sysctl.read('net/ipv4/conf/all/rp_filter');
    if (all === 0) return;
    const state: { all: number; default?: number; ifaces: Map<string, number> } = { all, ifaces: new Map() };
    const def = await this.sysctl.read('net/ipv4/conf/default/rp_filter');
    if (def < all) {
      state.default = def;
      await this.sysctl.write('net/ipv4/conf/default/rp_filter', all);
    }
    for (const name of await this.interfaces()) {
      const path = `net/ipv4/conf/${name}/rp_filter`;
      const v = await this.sysctl.read(path);
      if (v < all) {
        state.ifaces.set(name, v);
        await this.sysctl.write(path, all);
      }
    }
    await this.sysctl.write('net/ipv4/conf/all/rp_filter', 0);
    this.rpFilter = state;
  }

  private async interfaces(): Promise<string[]> {
    try {
      return (await readdir(`${this.sysctl.root}/net/ipv4/conf`)).filter((n) => n !== 'all' && n !== 'default');
    } catch (e) {
      throw new RtnlError('SYSCTL_WRITE', 'list', 'net.ipv4.conf', errnoOf(e), { errno: errnoOf(e), cause: e });
    }
  }

  /** At exit: put rp_filter back (only values still as we left them), and every base interface. */
  async restore(): Promise<void> {
    for (const base of [...this.bases.keys()]) {
      const saved = this.bases.get(base)!;
      saved.users = 1;
      await this.release(base);
    }
    const st = this.rpFilter;
    if (!st) return;
    this.rpFilter = undefined;
    if ((await this.sysctl.read('net/ipv4/conf/all/rp_filter')) === 0) await this.sysctl.write('net/ipv4/conf/all/rp_filter', st.all);
    if (st.default !== undefined && (await this.sysctl.read('net/ipv4/conf/default/rp_filter')) === st.all) {
      await this.sysctl.write('net/ipv4/conf/default/rp_filter', st.default);
    }
    const present = new Set(await this.interfaces());
    for (const [name, old] of st.ifaces) {
      if (!present.has(name)) continue;
      const path = `net/ipv4/conf/${name}/rp_filter`;
      if ((await this.sysctl.read(path)) === st.all) await this.sysctl.write(path, old);
    }
  }
}
