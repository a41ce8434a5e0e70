/**
 * The IPIP device of an LVS-TUN real server (`tunl0`), which src/io/rtnl.ts does not create.
 *
 * ```ts
 * const r = await ensureIpipDevice('tunl0');  // { ok: true, how: 'created' | 'module' | 'exists' } | { ok: false, reason }
 * ```
 *
 * 1. RTM_NEWLINK `tunl0` kind ipip (NLM_F_CREATE|EXCL). When the ipip module is not loaded the
 *    kernel loads it itself (request_module "rtnl-link-ipip"), and loading it creates the
 *    fallback device tunl0 in every namespace (unless net.core.fb_tunnels_only_for_init_net),
 *    so EEXIST is success: the device is there.
 * 2. EOPNOTSUPP, named ENOTSUP by the netlink package (the kernel does not know the kind): `modprobe ipip` once, then check again.
 * 3. Still nothing: the kernel has no IPIP (CONFIG_NET_IPIP off, or no modules): a clear reason.
 *
 * Deleting: tunl0 is the kernel's fallback device when the module created it; the kernel then
 * ignores a delete (ip_tunnel_dellink), which is harmless: it stays, down and without VIPs.
 */
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import type * as Netlink from 'netlink';
import { attr, attrs } from '../netlink/attrs.js';
import { IFLA_INFO_KIND, NLM_F_CREATE, NLM_F_EXCL } from '../netlink/constants.js';

const requireCjs = createRequire(import.meta.url);
const { createRtNetlink } = requireCjs('netlink/dist/rt/rt.js') as Pick<typeof Netlink, 'createRtNetlink'>;

export type IpipResult = { readonly ok: true; readonly how: 'created' | 'module' | 'exists' } | { readonly ok: false; readonly reason: string };

function errnoOf(e: unknown): string {
  const err = e as { code?: unknown; message?: unknown };
  if (typeof err?.code === 'string') return err.code;
  const m = /Request rejected: (\S+)/.exec(String(err?.message ?? e));
  return m ? m[1]! : String(err?.message ?? e);
}

async function newIpip(name: string, timeoutMs: number): Promise<string | undefined> {
  const sock = createRtNetlink();
  try {
    await sock.newLink({}, { ifname: name, linkinfo: attrs(attr(IFLA_INFO_KIND, Buffer.from('ipip'))) }, { timeout: timeoutMs, flags: NLM_F_CREATE | NLM_F_EXCL });
    return undefined;
  } catch (e) {
    return errnoOf(e);
  } finally {
    sock.socket.close();
  }
}

/** Makes sure an ipip device `name` exists (it may be down). Never throws. */
export async function ensureIpipDevice(name: string, opts: { timeoutMs?: number } = {}): Promise<IpipResult> {
  const timeoutMs = opts.timeoutMs ?? 5000;
  const first = await newIpip(name, timeoutMs);
  if (first === undefined) return { ok: true, how: 'created' };
  if (first === 'EEXIST') return { ok: true, how: 'exists' };
  if (first !== 'EOPNOTSUPP' && first !== 'ENOTSUP') return { ok: false, reason: `creating ipip device ${name}: ${first}` };
  const mp = spawnSync('modprobe', ['ipip'], { encoding: 'utf8', timeout: 20_000 });
  const why = mp.error ? mp.error.message : (mp.stderr || '').trim().split('\n').pop() || `exit ${mp.status}`;
  if (mp.status === 0) {
    const again = await newIpip(name, timeoutMs);
    if (again === undefined) return { ok: true, how: 'created' };
    if (again === 'EEXIST') return { ok: true, how: 'module' };
    return { ok: false, reason: `creating ipip device ${name} after modprobe ipip: ${again}` };
  }
  return {
    ok: false,
    reason: `this kernel has no IPIP tunnel (creating ${name} type ipip: not supported; modprobe ipip: ${why}): TUN real servers need CONFIG_NET_IPIP`,
  };
}
