/**
 * Completing the drafts into the model keepalived would run: its defaults and adjustments
 * (vrrp_complete_instance in complete-vrrp.ts, validate_check_config in complete-lvs.ts), then
 * the cross-block checks of validate.ts. Problems are reported, never silently replaced; each
 * adjustment is a row of docs/semantics.md.
 */
import type { Diagnostics } from './diagnostics.js';
import type { KeepalivedConfig, Script, VrrpScript } from './model.js';
import type { RootDraft } from './root-draft.js';
import type { SyncGroupDraft } from './keywords-vrrp.js';
import { fieldLoc, type Loc } from './loc.js';
import { defaultScriptUserFails, validate, type MachineView } from './validate.js';
import { completedInstance, completeVrrpGlobals, completeVrrpInstance, inheritFromSyncGroups, resolveTrackRefs } from './complete-vrrp.js';
import { completeVirtualServer, trio } from './complete-lvs.js';
import { completeTrackGroups } from './track-group.js';
import { completedBfd } from './keywords-bfd.js';

/** `virtualServersRead`: false for a reading that skipped the checker's blocks (LoadOptions.vrrpReading). */
export function complete(root: RootDraft, diags: Diagnostics, mainLoc: Loc, machine?: MachineView, virtualServersRead = true): KeepalivedConfig {
  let refused = false;
  const g = root.globalDefs;
  completeVrrpGlobals(g);
  // vrrp_vscript_end_handler: a vrrp_script without a script is removed (then unknown to its users)
  root.vrrpScripts = root.vrrpScripts.filter((s) => {
    if (s.script !== undefined) return true;
    diags.add('CONFIG_MISSING', 'GENERAL_ERROR', `No script set for vrrp_script ${s.name} - removing`, s.loc, { row: 'vrrp.script-without-script' });
    return false;
  });
  if (machine) scriptUsers(root, diags, machine);
  bfdChecks(root, diags);
  lvsSyncDaemonInterface(root, diags);
  // keepalived alloc_ipaddress: a static address without `dev` goes on the default interface
  root.staticIpaddress = root.staticIpaddress.map((a) => (a.dev !== undefined ? a : { ...a, dev: g.defaultInterface ?? 'eth0', onDefaultInterface: true }));
  const instances = root.vrrpInstances;
  for (const d of instances) {
    // keepalived's VRRP process exits with a configuration error ("permanent error CONFIG")
    if (!completeVrrpInstance(d, g, diags, machine)) refused = true;
  }
  syncGroupMembers(root, diags);
  inheritFromSyncGroups(instances, root.vrrpSyncGroups, g);
  resolveTrackRefs(root);
  duplicateTrackRefs(root, diags, machine);
  unweightedTrackers(root, diags);
  const unused = unusedScripts(root, diags);
  const groups = new Map(root.virtualServerGroups.map((g) => [g.name, g.entries]));
  const servers = root.virtualServers.flatMap((d) => completeVirtualServer(d, g, diags, groups) ?? []);
  const staticTrackGroups = completeTrackGroups(root.staticTrackGroups, new Set(instances.map((d) => d.name)), {
    addresses: root.staticIpaddress, routes: root.staticRoutes, rules: root.staticRules,
  }, diags);
  const config: KeepalivedConfig = {
    ...root,
    // without a global_defs block the defaults belong to the main file as a whole
    globalDefs: { loc: g.loc ?? mainLoc, ...g },
    staticTrackGroups,
    vrrpInstances: instances.map(completedInstance),
    virtualServers: servers,
    bfdInstances: root.bfdInstances.map(completedBfd),
  };
  validate(config, diags, machine, unused, virtualServersRead);
  if (refused) diags.add('CONFIG_VALUE', 'OK', 'keepalived would not run this configuration: its VRRP process exits with a configuration error (see the errors above)', mainLoc, { refusesRun: true, row: 'vrrp.instance-refused' });
  return config;
}

/**
 * A sync group's members as keepalived takes them (vrrp.c vrrp_complete_init, vrrp_sync.c
 * vrrp_sync_set_group): a member that is no instance, or already in a group above, is left out
 * with its message; a group left without members (or written without any) is removed, and its
 * instances run alone; one member is allowed, with a warning.
 */
function syncGroupMembers(root: RootDraft, diags: Diagnostics): void {
  const names = new Set(root.vrrpInstances.map((d) => d.name));
  const owner = new Map<string, string>();
  root.vrrpSyncGroups = root.vrrpSyncGroups.filter((sg) => {
    const name = sg.name;
    const members = sg.group;
    if (members.length === 0) {
      // row: vrrp.sync-group-empty
      diags.add('CONFIG_MISSING', 'GENERAL_ERROR', `Sync group ${name} has no virtual router(s). removing`, sg.loc, { row: 'vrrp.sync-group-empty' });
      return false;
    }
    sg.group = members.filter((m) => {
      if (!names.has(m.name)) {
        diags.add('CONFIG_REFERENCE', 'GENERAL_ERROR', `virtual router ${m.name} specified in sync group ${name} doesn't exist - ignoring`, m.loc);
        return false;
      }
      const other = owner.get(m.name);
      if (other) {
        diags.add('CONFIG_DUPLICATE', 'GENERAL_ERROR', `virtual router ${m.name} cannot exist in more than one sync group; it is already in ${other} - ignoring`, m.loc);
        return false;
      }
      owner.set(m.name, name);
      return true;
    });
    const kept = sg.group.length;
    if (kept === 0) {
      diags.add('CONFIG_REFERENCE', 'GENERAL_ERROR', `Sync group ${name}, no matching virtual router found in group declaration - removing`, sg.loc, { row: 'vrrp.sync-group-empty' });
      return false;
    }
    if (kept === 1) diags.add('CONFIG_VALUE', 'GENERAL_ERROR', `sync group ${name} has only 1 virtual router(s) - this probably isn't what you want`, sg.loc);
    return true;
  });
}

/**
 * An instance's `lvs_sync_daemon_interface` becomes the sync daemon's interface, synchronised
 * with that instance, as keepalived's vrrp_lvs_syncd_handler does; the first one only, and not
 * over global_defs's `lvs_sync_daemon` ("has already been specified").
 */
function lvsSyncDaemonInterface(root: RootDraft, diags: Diagnostics): void {
  const g = root.globalDefs;
  for (const d of root.vrrpInstances) {
    const w = d.lvsSyncDaemonInterface;
    if (!w) continue;
    delete d.lvsSyncDaemonInterface;
    const had = g.lvsSyncDaemon;
    if (had) {
      diags.add('CONFIG_CONFLICT', 'GENERAL_ERROR', `(${d.name}) lvs_sync_daemon_interface has already been specified as ${had.interface} - ignoring`, w.loc, { row: 'vrrp.lvs-sync-daemon-interface' });
      continue;
    }
    g.lvsSyncDaemon = { interface: w.interface, instance: d.name, loc: w.loc };
  }
}

/** keepalived's words for a command: each argument in single quotes (cmd_str); none without one. */
const cmdStr = (sc: Script | undefined): string => (sc?.argv ?? []).map((a) => `'${a}'`).join(' ');

/**
 * A script whose own `user` (or group) does not exist is removed when it is read (set_script_uid_gid):
 * a vrrp_script (vrrp_parser.c vrrp_vscript_user_handler; its users then do not find it), and a
 * MISC_CHECK (check_misc.c misc_user_handler; the real server keeps no checker of it).
 */
function scriptUsers(root: RootDraft, diags: Diagnostics, m: MachineView): void {
  const known = (u: { user: string; group?: string }): boolean => m.userExists(u.user) && (u.group === undefined || m.groupExists(u.group));
  const failed = defaultScriptUserFails(root.globalDefs, m);
  const removed = new Set<string>();
  root.vrrpScripts = root.vrrpScripts.filter((s) => {
    const u = s.user;
    if (!u) {
      if (!failed) return true;
      // row: global.script-user-fails-removes
      diags.add('CONFIG_SCRIPT', 'GENERAL_ERROR', `Unable to set default user for vrrp script ${s.name} - removing`, s.loc, { row: 'global.script-user-fails-removes' });
      removed.add(s.name);
      return false;
    }
    if (known(u)) return true;
    diags.add('CONFIG_SCRIPT', 'GENERAL_ERROR', `Unable to set uid/gid for script ${cmdStr(s.script)}`, fieldLoc(s, 'user'), { row: 'vrrp.script-user-missing' });
    removed.add(s.name);
    return false;
  });
  for (const vs of root.virtualServers) {
    for (const rs of vs.realServers) {
      rs.checkers = keptOf(rs.checkers, (c) => {
        if (c.type !== 'MISC_CHECK' || c.miscPath === undefined) return true;
        const u = c.user;
        if (!u) {
          if (!failed) return true;
          diags.add('CONFIG_SCRIPT', 'GENERAL_ERROR', `Unable to set default user for misc script ${cmdStr(c.miscPath)} - removing`, fieldLoc(c, 'miscPath'), { row: 'global.script-user-fails-removes' });
          return false;
        }
        if (known(u)) return true;
        diags.add('CONFIG_SCRIPT', 'GENERAL_ERROR', `Failed to set uid/gid for misc checker script ${cmdStr(c.miscPath)} - removing`, fieldLoc(c, 'user'), { row: 'lvs.misc-user-missing' });
        return false;
      });
    }
  }
  // keepalived removed them at their '}': the entries below them do not find them
  if (removed.size === 0) return;
  for (const owner of [...root.vrrpInstances, ...root.vrrpSyncGroups]) {
    owner.trackScript = owner.trackScript.filter((r) => {
      if (!removed.has(r.name)) return true;
      // row: vrrp.track-object-not-found
      diags.add('CONFIG_REFERENCE', 'GENERAL_ERROR', `(${owner.name}) track script ${r.name} not found, ignoring...`, r.loc, { row: 'vrrp.track-object-not-found' });
      return false;
    });
  }
}


/**
 * A second entry for the same tracked interface, script, process or BFD instance of an
 * instance or sync group is refused, the first kept (vrrp_track.c alloc_track_if & co.);
 * an entry naming something unknown is left to validate.ts, as keepalived reports that first.
 * track_file has no such check in keepalived: both entries count.
 */
function duplicateTrackRefs(root: RootDraft, diags: Diagnostics, machine: MachineView | undefined): void {
  const g = root.globalDefs;
  const names = (list: readonly { readonly name: string }[]): Set<string> => new Set(list.map((x) => x.name));
  const known: Record<TrackField, (n: string) => boolean> = {
    trackInterface: (n) => !machine || machine.interfaceExists(n) || g.dynamicInterfaces === true,
    trackScript: (n) => names(root.vrrpScripts).has(n),
    trackFile: (n) => names(root.trackFiles).has(n),
    trackProcess: (n) => names(root.trackProcesses).has(n),
    trackBfd: () => true,
  };
  const kinds: [TrackField, string][] = [
    ['trackInterface', 'track_interface'], ['trackScript', 'track_script'], ['trackFile', 'track_file'], ['trackProcess', 'track_process'], ['trackBfd', 'track_bfd'],
  ];
  for (const owner of [...root.vrrpInstances, ...root.vrrpSyncGroups]) {
    for (const [field, kind] of kinds) {
      const seen = new Set<string>();
      owner[field] = (owner[field] ?? []).filter((r) => {
        const name = r.name;
        if (!known[field](name)) return true;
        if (!seen.has(name)) {
          seen.add(name);
          return true;
        }
        // row: vrrp.track-duplicate
        // row: vrrp.track-file-duplicate
        diags.add('CONFIG_DUPLICATE', 'GENERAL_ERROR', `(${owner.name}) duplicate ${kind} ${name} - ignoring`, r.loc, { row: field === 'trackFile' ? 'vrrp.track-file-duplicate' : 'vrrp.track-duplicate' });
        return false;
      });
    }
  }
}

type TrackField = 'trackInterface' | 'trackScript' | 'trackFile' | 'trackProcess' | 'trackBfd';

/**
 * What `keep` keeps of `list`: `list` itself when it keeps all. `keep` is asked once per
 * element, in order (it may report). A copy is made only from the first element it drops (one
 * per real server made 15 MB of copies at 100,000, kept by none), of exactly the kept length.
 */
function keptOf<T>(list: T[], keep: (x: T) => boolean): T[] {
  for (let i = 0; i < list.length; i++) {
    if (!keep(list[i]!)) return list.slice(0, i).concat(list.slice(i + 1).filter(keep));
  }
  return list;
}

/**
 * BFD_CHECK's `name` (check_bfd.c bfd_name_handler, bfd_end_handler): a bfd_instance the
 * checkers hear of, once per real server; otherwise the checker is dropped.
 */
function bfdChecks(root: RootDraft, diags: Diagnostics): void {
  const known = new Set(root.bfdInstances.filter((b) => b.checker !== false).map((b) => b.name));
  for (const vs of root.virtualServers) {
    for (const rs of vs.realServers) {
      if (!rs.checkers.some((c) => c.type === 'BFD_CHECK')) continue;
      const who = `(${trio(rs.address, vs.protocol ?? 'TCP', rs.port)})`;
      const seen = new Set<string>();
      rs.checkers = keptOf(rs.checkers, (c) => {
        if (c.type !== 'BFD_CHECK') return true;
        const name = c.name;
        const drop = (msg: string): boolean => {
          diags.add('CONFIG_REFERENCE', 'GENERAL_ERROR', `${who} ${msg}`, c.loc, { row: 'lvs.bfd-check-dropped' });
          return false;
        };
        if (name === undefined) return drop('No name has been specified for BFD_CHECKER - skipping');
        if (!known.has(name)) return drop(`BFD_CHECK - BFD ${name} not configured`);
        if (seen.has(name)) return drop(`BFD_CHECK - RS already monitoring ${name}`);
        seen.add(name);
        return true;
      });
    }
  }
}

/**
 * keepalived vrrp_complete_instance: a member of a sync group without
 * `sync_group_tracking_weight`, and an address owner (priority 255), run no weighted tracker.
 * A weighted track_interface keeps tracking with weight 0 in a sync group (a fault trigger) and
 * is dropped for an address owner; a weighted track_script or track_bfd is dropped; a
 * track_file of the default weight 1 gets weight 0, one of another weight is dropped. Each says
 * so, in keepalived's words (which spell the owner "address owner" for interfaces and
 * "address_owner" for the others).
 */
function unweightedTrackers(root: RootDraft, diags: Diagnostics): void {
  const groupOf = new Map<string, SyncGroupDraft>();
  for (const sg of root.vrrpSyncGroups) for (const m of sg.group) if (!groupOf.has(m.name)) groupOf.set(m.name, sg);
  const bfdWeight = new Map(root.bfdInstances.map((b) => [b.name, b.weight]));
  for (const d of root.vrrpInstances) {
    const name = d.name;
    const sg = groupOf.get(name);
    const sync = sg !== undefined && sg.syncGroupTrackingWeight !== true;
    if (!sync && d.priority !== 255) continue;
    // row: vrrp.sync-weighted-trackers
    // row: vrrp.owner-weighted-trackers
    const row = sync ? 'vrrp.sync-weighted-trackers' : 'vrrp.owner-weighted-trackers';
    const who = sync ? 'SYNC group' : 'address_owner';
    const say = (msg: string, loc: Loc): void => diags.add('CONFIG_CONFLICT', 'GENERAL_ERROR', msg, loc, { row });
    // keepalived 2.2.7 says so only after it has given the interface the instance's weight
    // (vrrp_complete_instance adds the instance to its tracked interfaces first): a sync
    // member's weight still applies, its dump shows 0 in the instance and the weight on the
    // interface (measured: 'lo weight 10' runs priority 110)
    d.trackInterface = d.trackInterface.flatMap((t) => {
      if (!t.weight) return [t];
      say(`(${name}) ignoring ${t.name} tracked interface ${sync ? 'weight ' : ''}due to ${sync ? 'SYNC group' : 'address owner'}`, t.loc);
      return sync ? [{ ...t, shownWeight: 0 }] : [];
    });
    d.trackScript = d.trackScript.filter((t) => {
      if (!t.weight) return true;
      say(`(${name}) ignoring tracked script ${t.name} with weights due to ${who}`, t.loc);
      return false;
    });
    d.trackFile = d.trackFile.flatMap((t) => {
      if (t.weight === 1) {
        say(`(${name}) ignoring weight from tracked file ${t.name} due to ${who}. specify weight 0`, t.loc);
        return [{ ...t, weight: 0 }];
      }
      if (!t.weight) return [t];
      say(`(${name}) ignoring tracked file ${t.name} with weight ${t.weight} due to ${who}`, t.loc);
      return [];
    });
    d.trackBfd = d.trackBfd.filter((t) => {
      const w = t.weight ?? bfdWeight.get(t.name) ?? 0;
      if (!w) return true;
      say(`(${name}) ignoring tracked bfd ${t.name} with weight ${w} due to ${who}`, t.loc);
      return false;
    });
  }
}

/**
 * keepalived vrrp_complete_init: a vrrp_script that no instance tracks, directly or through a
 * sync group with members, is removed with a warning, and never run. The warning is logged at
 * start (`-t` does not get that far), as an OK-class line. The dropped scripts are returned:
 * keepalived checks their files before it drops them (validate.ts checkScripts).
 */
function unusedScripts(root: RootDraft, diags: Diagnostics): VrrpScript[] {
  const instances = new Set(root.vrrpInstances.map((d) => d.name));
  const used = new Set<string>();
  for (const d of root.vrrpInstances) for (const t of d.trackScript) used.add(t.name);
  for (const sg of root.vrrpSyncGroups) {
    if (!sg.group.some((m) => instances.has(m.name))) continue;
    for (const t of sg.trackScript) used.add(t.name);
  }
  const unused: VrrpScript[] = [];
  root.vrrpScripts = root.vrrpScripts.filter((s) => {
    if (used.has(s.name)) return true;
    // row: vrrp.unused-script
    diags.add('CONFIG_REFERENCE', 'OK', `Warning - script ${s.name} is not used`, s.loc, { row: 'vrrp.unused-script', atStart: true });
    unused.push(s);
    return false;
  });
  return unused;
}
