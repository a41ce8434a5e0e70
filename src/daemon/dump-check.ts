/**
 * keepalived_check.data (SIGUSR1 in the checker process), best effort: keepalived 2.2.7
 * dump_data_check's main lines for what the checker view holds. For each virtual server
 * (keepalived's "[VIP]:proto:port" / "FWM n" names) its scheduler, forwarding method,
 * protocol, quorum state and alive flag; for each real server keepalived's
 * "RIP = ..., RPORT = ..., WEIGHT = ... EFF WEIGHT = ..." line, its alive flag and weights;
 * then "------< Health checkers >------" with each checker's Up / Has run lines.
 * Configuration detail keepalived also prints (timeouts, delay loops, notify scripts) is left
 * out (docs/errors.md, "Deliberate differences").
 */
import type { CheckView } from './check-view.js';

const yes = (b: boolean): string => (b ? 'yes' : 'no');
const on = (b: boolean): number => (b ? 1 : 0);

export function formatCheckData(view: CheckView): string {
  const out: string[] = [];
  if (view.virtualServers.length) out.push('------< LVS Topology >------');
  for (const vs of view.virtualServers) {
    out.push(' ------< Virtual server >------');
    out.push(vs.name.startsWith('FWM ') ? ` VS FWMARK = ${vs.name.slice(4)}` : ` VS = ${vs.name}`);
    out.push(`   lvs_sched = ${vs.scheduler}`);
    out.push(`   lvs_method = ${vs.lbKind}`);
    out.push(`   protocol = ${vs.protocol}`);
    if (vs.suspended) out.push('   Using HA suspend');
    out.push(`   sorry server active = ${yes(vs.sorryActive)}`);
    out.push(`   alive = ${on(vs.realServers.some((rs) => rs.alive))}`);
    out.push(`   quorum_state_up = ${on(vs.quorumUp)}`);
    for (const rs of vs.realServers) {
      out.push('   ------< Real server >------');
      out.push(`   RIP = ${rs.address}, RPORT = ${rs.port ?? 0}, WEIGHT = ${rs.effectiveWeight} EFF WEIGHT = ${rs.effectiveWeight}`);
      out.push(`   initial weight = ${rs.weight}`);
      out.push(`   effective weight = ${rs.effectiveWeight}`);
      out.push(`   alive = ${on(rs.alive)}`);
      out.push(`   num failed checkers = ${rs.checkers.filter((c) => !c.up).length}`);
      out.push(`   RS set = ${on(rs.inTable)}`);
    }
  }
  const checkers = view.virtualServers.flatMap((vs) => vs.realServers.flatMap((rs) => rs.checkers.map((c) => ({ vs, rs, c }))));
  if (checkers.length) out.push('------< Health checkers >------');
  for (const { vs, rs, c } of checkers) {
    out.push(` ${vs.name} -> ${rs.name}`);
    out.push(`   Keepalive method = ${c.type}`);
    out.push('   Enabled = yes');
    out.push(`   Up = ${yes(c.up)}`);
    out.push(`   Has run = ${yes(c.hasRun)}`);
  }
  return out.length ? `${out.join('\n')}\n` : '';
}
