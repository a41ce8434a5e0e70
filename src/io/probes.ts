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

/**
 * `now`: the caller's time of the start (performance.now), which a TCP_CHECK's connect timeout
 * counts from (src/io/deadlines.ts); read when not given.
 */
export function runProbe(plan: ProbePlan, opts: ProbeOptions, now?: number): Promise<ProbeResult> {
  // the one probe run thousands of times a second goes without the async frame around the others
  if (plan.type !== 'TCP_CHECK') return runOtherProbe(plan, opts);
  try {
    return tcpProbe(plan.conn, now);
  } catch (e) {
    return Promise.resolve(notRun(`${plan.type}: ${(e as Error)?.message ?? String(e)}`));
  }
}

async function runOtherProbe(plan: Exclude<ProbePlan, { type: 'TCP_CHECK' }>, opts: ProbeOptions): Promise<ProbeResult> {
  try {
    switch (plan.type) {
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
