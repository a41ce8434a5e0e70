/**
 * keepalived.conf text for lab directors. The same text is given to keepalived-ts and to
 * real keepalived in the interop tests and benchmarks, so it only uses keywords both accept.
 */
export interface DirectorConf {
  readonly instance?: string;
  readonly interface?: string;
  readonly vrid: number;
  readonly priority: number;
  readonly state?: 'MASTER' | 'BACKUP';
  readonly version?: 2 | 3;
  /** seconds (v3 accepts fractions) */
  readonly advertInt: number;
  readonly vips: readonly string[];
  readonly unicastSrc?: string;
  readonly unicastPeers?: readonly string[];
  readonly authPass?: string;
  /** with authPass; PASS by default */
  readonly authType?: 'PASS' | 'AH';
  readonly nopreempt?: boolean;
  readonly garpMasterDelay?: number;
  readonly garpMasterRepeat?: number;
  readonly trackScripts?: readonly { name: string; script: string; interval: number; timeout?: number; weight?: number; rise?: number; fall?: number }[];
  readonly notify?: string;
  readonly notifyFifo?: string;
  /** extra global_defs lines */
  readonly globals?: readonly string[];
  /** extra lines inside vrrp_instance */
  readonly extra?: readonly string[];
  readonly family?: 'inet' | 'inet6';
}

export function directorConf(c: DirectorConf): string {
  const inst = c.instance ?? 'VI_1';
  const lines: string[] = [];
  lines.push('global_defs {');
  lines.push(`  router_id ${inst}_${c.priority}`);
  lines.push('  enable_script_security');
  lines.push('  script_user root');
  if (c.notifyFifo) lines.push(`  notify_fifo ${c.notifyFifo}`);
  for (const g of c.globals ?? []) lines.push(`  ${g}`);
  lines.push('}');
  for (const s of c.trackScripts ?? []) {
    lines.push(`vrrp_script ${s.name} {`);
    lines.push(`  script "${s.script}"`);
    lines.push(`  interval ${s.interval}`);
    if (s.timeout !== undefined) lines.push(`  timeout ${s.timeout}`);
    if (s.weight !== undefined) lines.push(`  weight ${s.weight}`);
    if (s.rise !== undefined) lines.push(`  rise ${s.rise}`);
    if (s.fall !== undefined) lines.push(`  fall ${s.fall}`);
    lines.push('}');
  }
  lines.push(`vrrp_instance ${inst} {`);
  if (c.state) lines.push(`  state ${c.state}`);
  lines.push(`  interface ${c.interface ?? 'eth0'}`);
  lines.push(`  virtual_router_id ${c.vrid}`);
  lines.push(`  priority ${c.priority}`);
  lines.push(`  advert_int ${c.advertInt}`);
  if (c.version) lines.push(`  version ${c.version}`);
  if (c.family === 'inet6') lines.push('  native_ipv6');
  if (c.nopreempt) lines.push('  nopreempt');
  if (c.garpMasterDelay !== undefined) lines.push(`  garp_master_delay ${c.garpMasterDelay}`);
  if (c.garpMasterRepeat !== undefined) lines.push(`  garp_master_repeat ${c.garpMasterRepeat}`);
  if (c.authPass) lines.push('  authentication {', `    auth_type ${c.authType ?? 'PASS'}`, `    auth_pass ${c.authPass}`, '  }');
  if (c.unicastSrc) lines.push(`  unicast_src_ip ${c.unicastSrc}`);
  if (c.unicastPeers?.length) lines.push('  unicast_peer {', ...c.unicastPeers.map((p) => `    ${p}`), '  }');
  lines.push('  virtual_ipaddress {', ...c.vips.map((v) => `    ${v}`), '  }');
  if (c.trackScripts?.length) lines.push('  track_script {', ...c.trackScripts.map((s) => `    ${s.name}`), '  }');
  if (c.notify) lines.push(`  notify "${c.notify}"`);
  for (const e of c.extra ?? []) lines.push(`  ${e}`);
  lines.push('}');
  return `${lines.join('\n')}\n`;
}
