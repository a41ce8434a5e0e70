/**
 * Cross-block checks (names that refer to nothing, VRID clashes, sync groups) and the checks
 * that need the machine (interfaces, script users, script files and their security), as
 * `keepalived -t` runs them. Every problem is reported with its keepalived class.
 */
import type { Diagnostics } from './diagnostics.js';
import type { KeepalivedConfig, Script, VrrpInstance, VrrpScript } from './model.js';
import { fieldLoc } from './loc.js';
import { formatIp } from '../util/ip.js';

/** What the compiler may ask of the machine: a port, implemented for the host in src/io/host-machine.ts. */
export interface MachineView {
  interfaceExists(name: string): boolean;
  isLoopback(name: string): boolean;
  /** Whether interface `name` is a VRF device (a route's `vrf`); absent: not known, not checked. */
  isVrf?(name: string): boolean;
  /**
   * A route's or rule's `table`: its number, from iproute2's rt_tables and keepalived's built-in
   * names (default, main, local), or a number written as one; absent: not known, not checked.
   */
  rtTableId?(name: string): number | undefined;
  /**
   * An existing interface's link type (ARPHRD_*) and whether it has IFF_MULTICAST; undefined:
   * no such interface (absent: not known, not checked).
   */
  linkKind?(name: string): { readonly hwType: number; readonly multicast: boolean } | undefined;
  userExists(name: string): boolean;
  groupExists(name: string): boolean;
  /** how many CPUs the machine has (cpu_affinity ids are checked against it) */
  cpuCount(): number;
  /** the host name (keepalived's default config id is its first label) */
  hostname(): string;
  /**
   * Resolve a script's argv[0]: 'missing', 'not-executable', 'insecure' (non-root writable), or
   * 'ok'. Given `runAs`, 'insecure' only when the script would run with root privileges (uid or
   * gid 0, a set-uid/set-gid root file): keepalived checks nothing else (check_script_secure).
   */
  scriptStatus(path: string, runAs?: ScriptRunAs): 'ok' | 'missing' | 'not-executable' | 'insecure';
  /** Whether a host name resolves (keepalived resolves smtp_server when it reads it); absent: not checked. */
  resolvable?(host: string): boolean;
  /** The first address a host name resolves to (getaddrinfo's first answer, as keepalived keeps it); undefined: none. */
  resolve?(host: string): string | undefined;
  /** Whether this process may write the file (keepalived's access(W_OK) on a /proc/sys knob); unknown: true. */
  writable?(path: string): boolean;
}

/** The user (and group, else the user's own) a script runs as. */
export interface ScriptRunAs {
  readonly user: string;
  readonly group?: string;
}

/**
 * `unusedScripts`: the vrrp_scripts the completion dropped as tracked by nothing. keepalived
 * checks every vrrp_script's file before it drops the unused ones (vrrp.c
 * check_vrrp_script_security, then vrrp_complete_init), so a missing one is still its error.
 */
export function validate(c: KeepalivedConfig, diags: Diagnostics, machine?: MachineView, unusedScripts: readonly VrrpScript[] = [], virtualServersRead = true): void {
  checkReferences(c, diags);
  checkVrids(c.vrrpInstances, diags);
  checkAnnounce(c, diags, virtualServersRead);
  if (machine) {
    // keepalived's VRRP process stops right after reading when an interface is missing
    // (vrrp_daemon.c start_vrrp), before it judges the VRRP side's scripts: no SECURITY
    // VIOLATION from them then
    const vrrpStops = checkInterfaces(c, diags, machine);
    checkScripts(c, diags, machine, unusedScripts, vrrpStops);
  }
}

/** A virtual server naming a virtual_server_group that is not there (sync group members: complete.ts). */
function checkReferences(c: KeepalivedConfig, diags: Diagnostics): void {
  const groups = new Set(c.virtualServerGroups.map((g) => g.name));
  for (const vs of c.virtualServers) {
    if (vs.group !== undefined && !groups.has(vs.group)) diags.add('CONFIG_REFERENCE', 'GENERAL_ERROR', `virtual server group ${vs.group} does not exist`, vs.loc);
  }
}

function checkVrids(instances: readonly VrrpInstance[], diags: Diagnostics): void {
  const seen = new Map<string, VrrpInstance>();
  for (const i of instances) {
    if (i.virtualRouterId === undefined || i.interface === undefined) continue;
    // Unicast instances may share a VRID when their peer sets differ (keepalived 2.2).
    const peers = i.unicastPeer.length ? `u:${i.unicastPeer.map((p) => p.address.bytes.join('.')).sort().join(',')}` : 'm';
    const key = `${i.interface}/${i.family}/${i.virtualRouterId}/${peers}`;
    const other = seen.get(key);
    if (other) {
      diags.add('CONFIG_DUPLICATE', 'GENERAL_ERROR', `${other.name} and ${i.name} both use VRID ${i.virtualRouterId} with ${i.family === 'inet' ? 'IPv4' : 'IPv6'} on interface ${i.interface}`, fieldLoc(i, 'virtualRouterId'));
    } else seen.set(key, i);
  }
}

/** Returns true when an interface is missing: keepalived's VRRP process stops right after reading. */
function checkInterfaces(c: KeepalivedConfig, diags: Diagnostics, m: MachineView): boolean {
  let missing = false;
  const dynamic = c.globalDefs.dynamicInterfaces;
  for (const i of c.vrrpInstances) {
    if (i.interface === undefined) {
      if (i.unicastPeer.length === 0) diags.add('CONFIG_MISSING', 'GENERAL_ERROR', `(${i.name}) Unknown interface!`, i.loc);
      continue;
    }
    if (m.isLoopback(i.interface)) {
      diags.add('CONFIG_INTERFACE', 'GENERAL_ERROR', `(${i.name}) cannot use a loopback interface (${i.interface}) for vrrp - ignoring`, fieldLoc(i, 'interface'));
      diags.add('CONFIG_INTERFACE', 'GENERAL_ERROR', `(${i.name}) Unknown interface!`, i.loc);
      continue;
    }
    if (!m.interfaceExists(i.interface) && !dynamic) {
      diags.add('CONFIG_INTERFACE', 'GENERAL_ERROR', `interface ${i.interface} for vrrp_instance ${i.name} doesn't exist`, fieldLoc(i, 'interface'));
      missing = true;
    }
    for (const t of i.trackInterface) {
      if (!m.interfaceExists(t.name) && !dynamic) {
        diags.add('CONFIG_INTERFACE', 'GENERAL_ERROR', `(${i.name}) tracked interface ${t.name} doesn't exist`, t.loc);
        missing = true;
      }
    }
    for (const a of [...i.virtualIpaddress, ...i.virtualIpaddressExcluded]) {
      if (a.dev !== undefined && !m.interfaceExists(a.dev) && !dynamic) {
        diags.add('CONFIG_INTERFACE', 'GENERAL_ERROR', `interface ${a.dev} for ip address ${a.address.bytes.length === 4 ? a.address.bytes.join('.') : 'IPv6'} doesn't exist`, fieldLoc(a, 'dev'));
        missing = true;
      }
    }
  }
  for (const a of c.staticIpaddress) {
    const dev = a.dev ?? c.globalDefs.defaultInterface ?? 'eth0';
    if (!m.interfaceExists(dev)) {
      diags.add('CONFIG_INTERFACE', 'BAD_IF', `static address needs an interface: ${dev} does not exist`, a.loc);
      missing = true;
    }
  }
  for (const e of c.interfaceChecks ?? []) {
    if (!m.interfaceExists(e.name)) diags.add('CONFIG_INTERFACE', 'BAD_IF', `unknown interface ${e.name} specified for ${e.what}`, e.loc);
  }
  // garp_group (vrrp_parser.c garp_group_interface(s)_handler): an interface in one group only;
  // a missing one is an error, except in an `interfaces` block with dynamic_interfaces; looked
  // up as any other (if_get_by_ifname IF_CREATE_IF_DYNAMIC), it stops the VRRP process too
  const grouped = new Set<string>();
  for (const g of c.garpGroups ?? []) {
    for (const i of g.interfaces) {
      if (!m.interfaceExists(i.name)) {
        if (!i.inBlock || !c.globalDefs.dynamicInterfaces) diags.add('CONFIG_INTERFACE', 'GENERAL_ERROR', `WARNING - interface ${i.name} specified for garp_group doesn't exist`, i.loc);
        if (!dynamic) missing = true;
        continue;
      }
      if (grouped.has(i.name)) diags.add('CONFIG_CONFLICT', 'GENERAL_ERROR', `garp_group already specified for ${i.name} - ignoring`, i.loc);
      grouped.add(i.name);
    }
  }
  if (missing) diags.add('CONFIG_INTERFACE', 'BAD_IF', 'non-existent interface specified in configuration');
  return missing;
}

interface ScriptUse {
  readonly script: Script;
  readonly what: string;
  /** a vrrp_script's `user` keyword: who it runs as (the words after its command do not count) */
  readonly runAs?: ScriptRunAs;
  /** a vrrp_script: keepalived reports a missing or insecure one as an error (vrrp.c
   * check_track_script_secure); any other script it only logs and disables */
  readonly track?: boolean;
}

function checkScripts(c: KeepalivedConfig, diags: Diagnostics, m: MachineView, unusedScripts: readonly VrrpScript[], vrrpStops: boolean): void {
  const g = c.globalDefs;
  const vrrp: ScriptUse[] = [];
  const check: ScriptUse[] = [];
  const main: ScriptUse[] = [];
  const add = (list: ScriptUse[], s: Script | true | undefined, what: string, runAs?: ScriptRunAs) => s && s !== true && list.push({ script: s, what, ...(runAs ? { runAs } : {}) });
  if (c.vrrpInstances.length && !vrrpStops) {
    for (const s of [...c.vrrpScripts, ...unusedScripts]) if (s.script) vrrp.push({ script: s.script, what: `track script ${s.name}`, track: true, ...(s.user ? { runAs: s.user } : {}) });
    for (const i of c.vrrpInstances) {
      for (const k of ['notifyMaster', 'notifyBackup', 'notifyFault', 'notifyStop', 'notifyDeleted', 'notify', 'notifyMasterRxLowerPri'] as const) add(vrrp, i[k], `${i.name} ${k}`);
    }
    for (const sg of c.vrrpSyncGroups) {
      for (const k of ['notifyMaster', 'notifyBackup', 'notifyFault', 'notifyStop', 'notify'] as const) add(vrrp, sg[k], `${sg.name} ${k}`);
    }
    // the fifo scripts count too (vrrp.c check_vrrp_script_security, check_data.c check_check_script_security)
    add(vrrp, g.notifyFifoScript, 'notify_fifo_script');
    add(vrrp, g.vrrpNotifyFifoScript, 'vrrp_notify_fifo_script');
  }
  if (c.virtualServers.length) {
    add(check, g.notifyFifoScript, 'notify_fifo_script');
    add(check, g.lvsNotifyFifoScript, 'lvs_notify_fifo_script');
  }
  for (const vs of c.virtualServers) {
    add(check, vs.quorumUp, 'quorum_up');
    add(check, vs.quorumDown, 'quorum_down');
    for (const rs of vs.realServers) {
      add(check, rs.notifyUp, 'notify_up');
      add(check, rs.notifyDown, 'notify_down');
      for (const ck of rs.checkers) if (ck.type === 'MISC_CHECK') add(check, ck.miscPath && ck.user ? { ...ck.miscPath, user: ck.user.user, ...(ck.user.group !== undefined ? { group: ck.user.group } : {}) } : ck.miscPath, 'misc_path');
    }
  }
  add(main, g.startupScript, 'startup_script');
  add(main, g.shutdownScript, 'shutdown_script');

  if (g.scriptUser && (!m.userExists(g.scriptUser.user) || (g.scriptUser.group !== undefined && !m.groupExists(g.scriptUser.group)))) {
    // keepalived carries on with its default script user (root, or keepalived_script)
    diags.add('CONFIG_SCRIPT', 'GENERAL_ERROR', 'Error setting global script uid/gid', fieldLoc(g, 'scriptUser'), { row: 'global.script-user-missing' });
  }
  const security = g.enableScriptSecurity;
  const userFails = defaultScriptUserFails(g, m);
  const defaultUser = g.scriptUser?.user ?? (m.userExists('keepalived_script') ? 'keepalived_script' : undefined);
  const judge = (uses: ScriptUse[], kind: string) => {
    let found = false;
    for (const u of uses) {
      const user = u.script.user ?? defaultUser;
      if (u.script.user !== undefined && !m.userExists(u.script.user)) {
        // keepalived -t says nothing here and drops the script at run time (the classic unquoted
        // `notify_master /path arg` trap): we warn, without changing the exit status.
        diags.add('CONFIG_SCRIPT', 'OK', `script user '${u.script.user}' does not exist: ${u.what} will not run (quote the command if '${u.script.user}' is meant as an argument)`, u.script.loc, { advisory: true });
        continue;
      }
      if (u.script.user !== undefined && u.script.group !== undefined && !m.groupExists(u.script.group)) {
        // keepalived: "Script group ':root' does not exist" in its log, and the script is dropped
        diags.add('CONFIG_SCRIPT', 'OK', `script group '${u.script.group}' does not exist: ${u.what} will not run`, u.script.loc, { advisory: true });
        continue;
      }
      if (u.script.user === undefined && g.scriptUser && userFails) {
        // keepalived logs "Failed to set default user for ... - ignoring" and drops the script
        diags.add('CONFIG_SCRIPT', 'OK', `no default script user ('${g.scriptUser.user}' does not exist): ${u.what} will not run`, u.script.loc, { advisory: true, row: 'global.script-user-fails-removes' });
        continue;
      }
      if (user === undefined && security) {
        diags.add('CONFIG_SCRIPT', 'GENERAL_ERROR', `unable to set default user keepalived_script for script (${u.what}); set script_user`, u.script.loc);
        continue;
      }
      // keepalived: a command starting "</" (blanks allowed after the '<') tests that a file
      // opens; it is not executed, so neither its path nor the script security is checked
      // row: script.file-open-test
      if (/^<[ \t]*\//.test(u.script.argv[0] ?? '')) continue;
      // who it runs as: only a script run with root privileges has its path checked
      const group = u.script.user !== undefined ? u.script.group : g.scriptUser?.group;
      const runAs = u.runAs ?? (user === undefined ? undefined : { user, ...(group !== undefined ? { group } : {}) });
      const status = scriptFile(u.script, m, runAs);
      // a track script: keepalived's error; any other: a line of its log, shown here as advice
      if (status === 'missing') {
        diags.add('CONFIG_SCRIPT', u.track ? 'GENERAL_ERROR' : 'OK', u.track ? `Disabling ${u.what} since not found/accessible ('${u.script.argv[0]}')` : `disabling ${u.what}: script '${u.script.argv[0]}' not found/accessible`, u.script.loc,
          u.track ? { row: 'vrrp.track-script-not-found' } : { advisory: true, row: 'script.not-found-disabled' });
        continue;
      }
      if (status === 'insecure' && security) {
        diags.add('CONFIG_SECURITY', u.track ? 'GENERAL_ERROR' : 'OK', u.track ? `Disabling ${u.what} due to insecure ('${u.script.argv[0]}': unsafe permissions)` : `disabling ${u.what}: unsafe permissions for script '${u.script.argv[0]}'`, u.script.loc,
          u.track ? { row: 'vrrp.track-script-insecure' } : { advisory: true, row: 'script.insecure-disabled' });
        continue;
      }
      found = true;
    }
    if (found && !security) {
      const first = uses[0]!.script.loc;
      diags.add('CONFIG_SECURITY', 'SECURITY_ERROR', `SECURITY VIOLATION - ${kind}scripts are being executed but script_security not enabled.`, first, { hint: 'add enable_script_security (and script_user) to global_defs', row: 'global.script-security-violation' });
    }
  };
  judge(vrrp, '');
  judge(check, 'check ');
  judge(main, 'start/shutdown ');
}

function scriptFile(s: Script, m: MachineView, runAs: ScriptRunAs | undefined): 'ok' | 'missing' | 'not-executable' | 'insecure' {
  const cmd = s.argv[0]!;
  if (/^<\s*\//.test(cmd)) return 'ok';
  return m.scriptStatus(cmd, runAs);
}


/**
 * announce_vip (keepalived-ts settings, src/daemon/announcer.ts): it needs the table the routing
 * daemon imports, a virtual server with its address, and an instance that exists. Each is a
 * refusal to start: an announcement that cannot follow its service would attract traffic the
 * director does not serve.
 */
function checkAnnounce(c: KeepalivedConfig, diags: Diagnostics, virtualServersRead: boolean): void {
  const vips = c.globalDefs.announceVips ?? [];
  if (vips.length === 0) return;
  if (c.globalDefs.announceTable === undefined) {
    diags.add('CONFIG_MISSING', 'GENERAL_ERROR', 'announce_vip needs announce_table: the kernel routing table your routing daemon imports (FRR: ip import-table N; BIRD: kernel table N with learn)', vips[0]!.loc, { refusesRun: true });
  }
  const addresses = new Set(c.virtualServers.flatMap((vs) => (vs.address ? [formatIp(vs.address)] : [])));
  const instances = new Set(c.vrrpInstances.map((i) => i.name));
  const seen = new Set<string>();
  for (const v of vips) {
    const a = formatIp(v.address);
    if (seen.has(a)) diags.add('CONFIG_DUPLICATE', 'GENERAL_ERROR', `announce_vip ${a} is given twice`, v.loc, { refusesRun: true });
    seen.add(a);
    // (a reading that skipped the virtual servers, the VRRP process's, leaves this to the checker's)
    if (virtualServersRead && !addresses.has(a)) diags.add('CONFIG_REFERENCE', 'GENERAL_ERROR', `announce_vip ${a}: no virtual_server has this address (fwmark and group virtual servers are not announced)`, v.loc, { refusesRun: true });
    if (v.instance !== undefined && !instances.has(v.instance)) diags.add('CONFIG_REFERENCE', 'GENERAL_ERROR', `announce_vip ${a}: no vrrp_instance ${v.instance}`, v.loc, { refusesRun: true });
  }
}

/**
 * keepalived has no default script user (lib/notify.c get_default_script_user fails) when
 * `script_user` names a user or group that does not exist, or when there is none, no
 * keepalived_script user and enable_script_security: every script without its own user is
 * then dropped as it is read (a vrrp_script and a MISC_CHECK with an error, the other scripts
 * with a line of log).
 */
export function defaultScriptUserFails(g: object, m: MachineView): boolean {
  const d = g as { readonly scriptUser?: { user: string; group?: string }; readonly enableScriptSecurity?: boolean };
  const u = d.scriptUser;
  if (u) return !m.userExists(u.user) || (u.group !== undefined && !m.groupExists(u.group));
  return d.enableScriptSecurity === true && !m.userExists('keepalived_script');
}
