/**
 * Where the AgentX master listens: keepalived's `snmp_socket` / `-A`, in net-snmp's transport
 * syntax. Pure.
 */
import { err, ok, type Result } from '../util/result.js';

export type AgentxEndpoint =
  | { readonly kind: 'unix'; readonly path: string }
  | { readonly kind: 'tcp'; readonly host: string; readonly port: number };

export const DEFAULT_AGENTX_SOCKET = 'unix:/var/agentx/master';

/**
 * net-snmp's transport syntax for the AgentX socket, as keepalived passes it on: `unix:PATH`
 * or an absolute PATH; `tcp:HOST:PORT`, `tcp:HOST` (port 705), `HOST:PORT`; IPv6 hosts in
 * brackets (`tcp6:[::1]:705`). UDP and the other transports are refused.
 */
export function parseAgentxSocket(spec: string | undefined): Result<AgentxEndpoint, string> {
  const s = (spec ?? DEFAULT_AGENTX_SOCKET).trim();
  if (s.startsWith('/')) return ok({ kind: 'unix', path: s });
  const m = /^([a-z0-9]+):(.*)$/i.exec(s);
  const proto = m && !/^\d+$/.test(m[2]!) && !/^\[/.test(s) ? m[1]!.toLowerCase() : undefined;
  const rest = proto !== undefined ? m![2]! : s;
  if (proto === 'unix') return rest.length > 0 ? ok({ kind: 'unix', path: rest }) : err(`no path in '${s}'`);
  if (proto !== undefined && proto !== 'tcp' && proto !== 'tcp6') return err(`transport '${proto}' is not supported for AgentX (unix or tcp)`);
  const hp = /^\[([^\]]+)\](?::(\d+))?$/.exec(rest) ?? /^([^:]+)(?::(\d+))?$/.exec(rest);
  if (!hp) return err(`cannot read '${s}' as HOST[:PORT]`);
  const port = hp[2] !== undefined ? Number(hp[2]) : 705;
  if (!(port > 0 && port < 65536)) return err(`port out of range in '${s}'`);
  return ok({ kind: 'tcp', host: hp[1]!, port });
}

export const endpointText = (e: AgentxEndpoint): string => (e.kind === 'unix' ? `unix:${e.path}` : `tcp:${e.host}:${e.port}`);
