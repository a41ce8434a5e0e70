/**
 * Which of the VRRP side's MIBs to serve (-x, enable_snmp_*): asked before the subagent and
 * its MIBs are loaded, so that a daemon without SNMP never loads them.
 */
import type { KeepalivedConfig } from '../config/model.js';
import type { MibSelection } from '../snmp/vrrp-mib.js';

export interface SnmpCliOptions {
  /** -x */
  readonly snmp?: boolean;
  /** -A */
  readonly snmpSocket?: string;
}

/**
 * The MIBs to serve, from the configuration at start and -x; undefined: SNMP is off. The
 * global scalars go with the VRRP tables unless a checker process runs with SNMP of its own,
 * which serves them then (keepalived's vrrp_handles_global_oid).
 */
export function snmpSelection(cfg: KeepalivedConfig, cli: SnmpCliOptions, checkerRuns = false): MibSelection | undefined {
  const g = cfg.globalDefs;
  const x = cli.snmp === true;
  const vrrp = x || g.enableSnmpVrrp;
  const checkerGlobals = checkerRuns && (x || g.enableSnmpChecker);
  const sel = { global: vrrp && !checkerGlobals, vrrp, rfcv2: x || g.enableSnmpRfcv2, rfcv3: x || g.enableSnmpRfcv3 };
  return sel.vrrp || sel.rfcv2 || sel.rfcv3 ? sel : undefined;
}
