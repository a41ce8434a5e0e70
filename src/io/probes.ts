/**
 * Runs the probe a `runProbe` effect asks for (the plan comes from src/check). A probe never
 * throws or rejects: every error becomes `{ ok: false, detail }`, and one that kept the probe
 * from running at all (no socket, bind failed, script not started) also carries
 * `code: 'CHECK_PROBE'` and is counted in `probeCounters.notRun`.
 */
import type { Logger } from 'pino';
import type { ProbePlan, ProbeResult } from '../check/types.js';
import { dnsProbe } from './probe-dns.js';
import { httpProbe } from './probe-http.js';
import { miscProbe } from './probe-misc.js';
import { pingProbe } from './probe-ping.js';
import { smtpProbe } from './probe-smtp.js';
import { notRun, probeCounters, tcpProbe } from './probe-tcp.js';
import { udpProbe } from './probe-udp.js';
import type { TlsCreds } from './tls-creds.js';
import type { ScriptUsers } from './users.js';

export { probeCounters };
export { closePingSockets } from './probe-ping.js';
export { genhash, type GenhashOptions, type GenhashResult } from './probe-http.js';

export interface ProbeOptions {
  /** MISC_CHECK scripts log through it */
  readonly log: Logger;
  /** MISC_CHECK script users (script_user, enable_script_security) */
  readonly users?: ScriptUsers;
  /** aborts running MISC_CHECK scripts (stop) */
  readonly signal?: AbortSignal;
  /** SSL_GET's client credentials (the `SSL` block) */
  readonly tls?: TlsCreds;
}

export async function runProbe(plan: ProbePlan, opts: ProbeOptions): Promise<ProbeResult> {
  try {
    switch (plan.type) {
      case 'TCP_CHECK': return await tcpProbe(plan.conn);
      case 'HTTP_GET': case 'SSL_GET':
        return await httpProbe({
          tls: plan.type === 'SSL_GET', conn: plan.conn, request: plan.request, url: plan.url,
          ...(plan.sni !== undefined ? { sni: plan.sni } : {}), ...(plan.type === 'SSL_GET' && opts.tls ? { creds: opts.tls } : {}),
        });
      case 'SMTP_CHECK': return await smtpProbe(plan.conn, plan.heloName);
      case 'DNS_CHECK': return await dnsProbe(plan.conn, plan.qtype, plan.name);
      case 'UDP_CHECK': return await udpProbe(plan);
      case 'PING_CHECK': return await pingProbe(plan.conn);
      case 'MISC_CHECK': return await miscProbe(plan, opts);
    }
  } catch (e) {
    return notRun(`${(plan as ProbePlan).type}: ${(e as Error)?.message ?? String(e)}`);
  }
}
