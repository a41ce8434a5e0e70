/**
 * A failover drill's figures, from what a client saw (pure: timestamps in, report out).
 *
 * - outage: from the first lost probe to the next answered one (the longest such gap), and the
 *   number of probes lost, after the trigger;
 * - takeover: trigger -> first advert (priority > 0) from a router other than the old master;
 * - GARPs: gratuitous ARPs for the VIP seen after the trigger;
 * - split brain: after the new master's first advert, adverts with priority > 0 still coming
 *   from the old master (two masters on the wire), with how long that lasted.
 */

/**
 * keepalived-ts sends a takeover's GARPs just before its first advert (make-before-break; a few
 * hundred microseconds, more when they wait for the address adds); keepalived's come after it,
 * and capture timestamps of one host's frames may swap by a fraction of a millisecond
 */
const GARP_BEFORE_ADVERT_MS = 5;

export interface ProbeSample {
  /** when the probe was sent (ms, any monotonic origin shared by the whole drill) */
  readonly sentAt: number;
  readonly ok: boolean;
}

export interface AdvertSample {
  readonly at: number;
  readonly src: string;
  readonly priority: number;
}

export interface PhaseInput {
  readonly name: string;
  readonly triggerAt: number;
  readonly endAt: number;
  readonly probes: readonly ProbeSample[];
  readonly adverts: readonly AdvertSample[];
  readonly garps: readonly number[];
  readonly intervalMs: number;
}

export interface PhaseReport {
  readonly name: string;
  readonly masterBefore?: string;
  readonly masterAfter?: string;
  readonly takeoverMs?: number;
  readonly probesSent: number;
  readonly probesLost: number;
  /** the longest run of lost probes, first lost to next answered (0 when none was lost) */
  readonly outageMs: number;
  readonly garpsSeen: number;
  readonly firstGarpMs?: number;
  readonly splitBrain: boolean;
  readonly dualMasterMs: number;
}

/** The master at time `t`: the last router heard with priority > 0 at or before t. */
function masterAt(adverts: readonly AdvertSample[], t: number): string | undefined {
  let m: string | undefined;
  for (const a of adverts) {
    if (a.at > t) break;
    if (a.priority > 0) m = a.src;
  }
  return m;
}

export function phaseReport(p: PhaseInput): PhaseReport {
  // what happened up to the end of this phase (a later phase's adverts are not this one's)
  const adverts = p.adverts.filter((a) => a.at <= p.endAt).sort((a, b) => a.at - b.at);
  const before = masterAt(adverts, p.triggerAt);
  const firstNew = adverts.find((a) => a.at >= p.triggerAt && a.priority > 0 && a.src !== before);
  const after = firstNew?.src ?? masterAt(adverts, p.endAt);
  const probes = p.probes.filter((s) => s.sentAt >= p.triggerAt && s.sentAt <= p.endAt).sort((a, b) => a.sentAt - b.sentAt);
  let lost = 0;
  let outage = 0;
  let runStart: number | undefined;
  for (const s of probes) {
    if (!s.ok) {
      lost++;
      runStart ??= s.sentAt;
    } else if (runStart !== undefined) {
      outage = Math.max(outage, s.sentAt - runStart);
      runStart = undefined;
    }
  }
  if (runStart !== undefined) outage = Math.max(outage, p.endAt - runStart);
  let dualMs = 0;
  let split = false;
  if (firstNew && before) {
    const old = adverts.filter((a) => a.src === before && a.priority > 0 && a.at > firstNew.at);
    if (old.length > 0) {
      split = true;
      dualMs = old[old.length - 1]!.at - firstNew.at;
    }
  }
  const garps = p.garps.filter((t) => t >= p.triggerAt && t <= p.endAt);
  // the takeover's GARPs come with the new master's first advert; well before it, a GARP is
  // the old master's (its garp_master_delay burst, or a refresh): not the takeover's first
  const takeoverGarps = firstNew ? garps.filter((t) => t >= firstNew.at - GARP_BEFORE_ADVERT_MS) : garps;
  return {
    name: p.name,
    ...(before !== undefined ? { masterBefore: before } : {}),
    ...(after !== undefined ? { masterAfter: after } : {}),
    ...(firstNew ? { takeoverMs: round(firstNew.at - p.triggerAt) } : {}),
    probesSent: probes.length,
    probesLost: lost,
    outageMs: round(outage),
    garpsSeen: garps.length,
    ...(takeoverGarps.length > 0 ? { firstGarpMs: round(takeoverGarps[0]! - p.triggerAt) } : {}),
    splitBrain: split,
    dualMasterMs: round(dualMs),
  };
}

function round(ms: number): number {
  return Math.round(ms * 10) / 10;
}

/** The report as text, one phase a block. */
export function formatDrill(vip: string, phases: readonly PhaseReport[]): string {
  const out = [`failover drill: VIP ${vip}`];
  for (const p of phases) {
    out.push(`  ${p.name}:`);
    out.push(`    master            ${p.masterBefore ?? '?'} -> ${p.masterAfter ?? '?'}`);
    out.push(`    takeover          ${p.takeoverMs !== undefined ? `${p.takeoverMs} ms (trigger to the new master's first advert)` : 'none seen'}`);
    out.push(`    client outage     ${p.outageMs} ms, ${p.probesLost} of ${p.probesSent} probes lost`);
    out.push(`    GARPs seen        ${p.garpsSeen}${p.firstGarpMs !== undefined ? ` (first ${p.firstGarpMs} ms after the trigger)` : ''}`);
    out.push(`    split brain       ${p.splitBrain ? `YES: two masters for ${p.dualMasterMs} ms` : 'no'}`);
  }
  return out.join('\n');
}
