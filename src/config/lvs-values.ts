/**
 * Two values of virtual_server read at parse time as keepalived reads them
 * (check/check_parser.c, svr_forwarding_handler and pgr_handler), so that a bad one is an
 * error of `-t` with keepalived's words rather than a surprise when the checkers start:
 * - the tunnel options after `lb_kind` / `lvs_method` / `sorry_server_lvs_method`
 *   (`type ipip|gue|gre`, `port N`, `nocsum|csum|remcsum`), taken for any method as keepalived
 *   takes them; each keyword starts from ipip without checksum, and a bad one leaves the
 *   server's previous options;
 * - `persistence_granularity`: an IPv4 netmask (inet_aton's forms) or an IPv6 prefix length 1..128, the family
 *   being the virtual server's, or the value's own (a dot makes it IPv4) when the virtual
 *   server has none yet.
 */
import type { Family } from '../util/ip.js';

export type TunnelType = 'ipip' | 'gue' | 'gre';
export type TunnelCsum = 'nocsum' | 'csum' | 'remcsum';

/** A TUN destination's encapsulation (IPVS_DEST_ATTR_TUN_TYPE / _TUN_PORT / _TUN_FLAGS). */
export interface TunnelSpec {
  readonly tunType: TunnelType;
  readonly tunPort?: number;
  readonly tunCsum: TunnelCsum;
}

export const DEFAULT_TUNNEL: TunnelSpec = { tunType: 'ipip', tunCsum: 'nocsum' };

/** Whose forwarding method it is, as keepalived names it in its messages. */
export type ServerKind = 'virtual' | 'real' | 'sorry';

/** The tunnel options `words` (the words after the method), or keepalived's error. */
export function parseTunnelOptions(words: readonly string[], server: ServerKind): TunnelSpec | string {
  let tunType: TunnelType = 'ipip';
  let tunPort = 0;
  let tunCsum: TunnelCsum = 'nocsum';
  for (let i = 0; i < words.length; i++) {
    const w = words[i]!;
    if (w === 'type') {
      const t = words[++i];
      if (t === undefined) return `Missing tunnel type for ${server} server.`;
      if (t !== 'ipip' && t !== 'gue' && t !== 'gre') return `Unknown tunnel type ${t} for ${server} server.`;
      tunType = t;
    } else if (w === 'port') {
      const p = words[++i];
      if (p === undefined) return `Missing port for ${server} server gue tunnel.`;
      if (!/^[0-9]+$/.test(p) || Number(p) < 1 || Number(p) > 65535) return `Invalid gue tunnel port ${p} for ${server} server.`;
      tunPort = Number(p);
    } else if (w === 'nocsum' || w === 'csum' || w === 'remcsum') tunCsum = w;
    else return `Invalid tunnel option ${w} for ${server} server.`;
  }
  if ((tunType === 'gue') !== (tunPort !== 0)) return 'gue tunnels require port, otherwise cannot have port.';
  if (tunType === 'ipip' && tunCsum !== 'nocsum') return 'ipip tunnels do not support checksum option.';
  if (tunType === 'gre' && tunCsum === 'remcsum') return 'gre tunnels do not support remote checksum option.';
  return { tunType, ...(tunPort !== 0 ? { tunPort } : {}), tunCsum };
}

/** The family persistence_granularity `text` is read in: the virtual server's, else a dotted value's IPv4. */
export function granularityFamily(text: string, vsFamily: Family | undefined): Family {
  return vsFamily ?? (text.includes('.') ? 'inet' : 'inet6');
}

/**
 * persistence_granularity as a prefix length, or why not: an IPv4 netmask must be contiguous
 * here (keepalived and the kernel also take 255.0.255.0; keepalived-ts refuses it, see
 * docs/semantics.md row lvs.granularity-not-solid), an IPv6 one is 1..128.
 */
export function granularityPrefix(text: string, family: Family): number | { readonly error: string; readonly notSolid?: true } {
  if (family === 'inet6') {
    const n = /^[0-9]+$/.test(text) ? Number(text) : NaN;
    return n >= 1 && n <= 128 ? n : { error: `Invalid IPv6 persistence_granularity specified - ${text}` };
  }
  const m = inetAton(text);
  if (m === undefined) return { error: `Invalid IPv4 persistence_granularity specified - ${text}` };
  const inv = ~m >>> 0;
  if ((inv & (inv + 1)) !== 0) {
    return { error: `IPv4 persistence_granularity netmask is not solid - ${text} (keepalived-ts takes only a netmask of leading ones, such as 255.255.255.0)`, notSolid: true };
  }
  return 32 - Math.log2(inv + 1);
}

/**
 * An IPv4 address as inet_aton reads it (keepalived reads the granularity with getaddrinfo's
 * numeric form, which is inet_aton's): one to four parts, each decimal, octal (leading 0) or
 * hex (0x), the last filling the remaining bytes; `24` is 0.0.0.24.
 */
export function inetAton(text: string): number | undefined {
  const parts = text.split('.');
  if (parts.length > 4) return undefined;
  let value = 0;
  for (let i = 0; i < parts.length; i++) {
    const p = parts[i]!;
    const n = /^0[xX][0-9a-fA-F]+$/.test(p) ? parseInt(p.slice(2), 16) : /^0[0-7]*$/.test(p) ? parseInt(p, 8) : /^[1-9][0-9]*$/.test(p) ? Number(p) : NaN;
    const last = i === parts.length - 1;
    const max = last ? 2 ** (8 * (4 - i)) - 1 : 255;
    if (!(n <= max)) return undefined;
    value = last ? value * 2 ** (8 * (4 - i)) + n : value * 256 + n;
  }
  return value;
}
