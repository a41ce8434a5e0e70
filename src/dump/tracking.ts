/**
 * The tracking sections of keepalived.data, as keepalived 2.2.7 writes them (vrrp/vrrp_data.c
 * dump_sync_group, dump_vscript, dump_vprocess; trackers/track_file.c dump_track_file;
 * vrrp_static_track.c): sync groups, vrrp_scripts, track files and processes, each with the
 * instances that track it and the weight each applies (the engine's resolved weights).
 */
import type { VrrpSyncGroup } from '../config/model.js';
import type { TrackRef } from '../vrrp/config.js';
import { matcherFor } from '../io/track-process.js';
import { vrrpScriptSpec } from '../io/vrrp-script-tracker.js';
import { cmdStr, notifyScriptLines } from './common.js';
import type { VrrpView } from '../daemon/view.js';

type TrackKind = 'trackInterface' | 'trackScript' | 'trackFile' | 'trackProcess' | 'trackBfd';

const weightText = (t: { weight?: number; reverse?: boolean }): string => `weight ${t.weight ?? 0}${t.reverse ? ' reverse' : ''}`;

/** The weight a reference applies: its own, else the tracked object's (with the object's `reverse`). */
interface Weighted {
  readonly weight: number;
  readonly reverse: boolean;
}

/**
 * "   Tracking instances :" and one "     INSTANCE, weight N" per instance tracking `name`: the
 * instances' own references (the engine's resolved weights), then the members of sync groups
 * tracking it that do not track it themselves (keepalived adds the groups' trackers last).
 */
function trackingInstances(view: VrrpView, kind: TrackKind, name: string, object: Weighted): string[] {
  const lines = new Map<string, string>();
  for (const iv of view.instances) {
    const ref = (iv.live.r.cfg[kind] as readonly TrackRef[] | undefined)?.find((t) => t.name === name);
    if (ref) lines.set(iv.name, weightText(ref));
  }
  // a member naming no instance was dropped from its group (keepalived's "Virtual router X
  // specified in sync group Y doesn't exist - ignoring")
  const running = new Set(view.instances.map((iv) => iv.name));
  for (const g of view.config.vrrpSyncGroups) {
    const ref = g[kind].find((t) => t.name === name);
    if (!ref) continue;
    const w = ref.weight === undefined ? object : { weight: ref.weight, reverse: ref.reverse };
    for (const member of g.group) if (running.has(member.name) && !lines.has(member.name)) lines.set(member.name, weightText(w));
  }
  return lines.size ? ['   Tracking instances :', ...[...lines].map(([inst, w]) => `     ${inst}, ${w}`)] : [];
}

function groupLines(view: VrrpView, g: VrrpSyncGroup): string[] {
  const live = view.groups.find((x) => x.name === g.name);
  const out = [
    ` VRRP Sync Group = ${g.name}, ${live?.state ?? 'INIT'}`,
    `   Num member fault ${live?.numMemberFault ?? 0}, num member init ${live?.numMemberInit ?? 0}`,
  ];
  const members = live?.members.map((m) => m.name) ?? g.group.map((m) => m.name);
  if (members.length) out.push('   VRRP member instances :', ...members.map((n) => `     ${n}`));
  if (g.syncGroupTrackingWeight) out.push('   sync group tracking weight set');
  // unset: smtp_alert_vrrp, else smtp_alert (vrrp.c vrrp_complete_init, as src/daemon/vrrp-alerts.ts sends)
  const gd = view.config.globalDefs;
  out.push(`   Using smtp notification = ${(g.smtpAlert ?? gd.smtpAlertVrrp ?? gd.smtpAlert) ? 'yes' : 'no'}`);
  if (g.notifyPriorityChanges !== undefined) out.push(`   Notify priority changes = ${g.notifyPriorityChanges ? 'yes' : 'no'}`);
  const tracked = (title: string, refs: readonly { name: string; weight?: number; reverse?: boolean }[], sep: string): string[] =>
    (refs.length ? [`   ${title} :`, ...refs.map((t) => `     ${t.name}${sep} ${weightText(t)}`)] : []);
  out.push(
    ...tracked('Tracked interfaces', g.trackInterface, ''),
    ...tracked('Tracked scripts', g.trackScript, ''),
    ...tracked('Tracked files', g.trackFile, ','),
    ...tracked('Tracked process', g.trackProcess, ','),
  );
  const scripts = notifyScriptLines([
    ['Backup', g.notifyBackup], ['Master', g.notifyMaster], ['Fault', g.notifyFault], ['Stop', g.notifyStop], ['Generic', g.notify],
  ], view.host);
  return [...out, ...scripts.map((l) => `   ${l}`)];
}

function scriptLines(view: VrrpView): string[] {
  const out: string[] = [];
  const results = new Map((view.scripts ?? []).map((s) => [s.name, s.ok]));
  const running = new Set((view.scripts ?? []).filter((s) => s.running).map((s) => s.name));
  for (const s of view.config.vrrpScripts) {
    // a script that cannot run is dropped (keepalived frees it): the engine has no result slot for it
    if (view.scripts && !results.has(s.name)) continue;
    const resolved = s.script ? view.host?.resolveScript(vrrpScriptSpec({ ...s, script: s.script })) : undefined;
    const ok = results.get(s.name);
    out.push(
      ` VRRP Script = ${s.name}`,
      `   Command = ${cmdStr(resolved?.argv ?? s.script?.argv ?? [])}`,
      `   Interval = ${Math.floor(s.intervalMs / 1000)} sec`,
      `   Timeout = ${Math.floor((s.timeoutMs ?? 0) / 1000)} sec`,
      `   Weight = ${s.weight}${s.weightReverse ? ' reverse' : ''}`,
      `   Rise = ${s.rise}`,
      `   Fall = ${s.fall}`,
      `   Result = ${ok === undefined ? 0 : ok ? s.rise : 0}`,
      '   Insecure = no',
      `   Init state = ${ok === undefined ? (s.initFail ? 'INIT/FAILED' : 'INIT') : 'unknown'}`,
      `   Status = ${ok ? 'GOOD' : 'BAD'}`,
      `   Script uid:gid = ${resolved?.uid ?? 0}:${resolved?.gid ?? 0}`,
      '   VRRP instances :',
      ...trackingInstances(view, 'trackScript', s.name, { weight: s.weight, reverse: s.weightReverse }),
      `   State = ${running.has(s.name) ? 'running' : 'idle'}`,
    );
  }
  return out;
}

function trackFileLines(view: VrrpView): string[] {
  const out: string[] = [];
  for (const f of view.config.trackFiles) {
    out.push(
      ` Track file = ${f.name}`,
      `   File = ${f.file !== undefined ? view.host?.trackFilePath(f.file) ?? f.file : ''}`,
      `   Status = ${f.file !== undefined ? view.host?.trackFileValue(f.file) ?? 0 : 0}`,
      `   Weight = ${f.weight}${f.weightReverse ? ' reverse' : ''}`,
      ...trackingInstances(view, 'trackFile', f.name, { weight: f.weight, reverse: f.weightReverse }),
    );
  }
  return out;
}

/** C's printf("%f") of seconds given in ms. */
const fixed6 = (ms: number | undefined): string => ((ms ?? 0) / 1000).toFixed(6);

function trackProcessLines(view: VrrpView): string[] {
  const out: string[] = [];
  for (const p of view.config.trackProcesses) {
    const [path = '', ...params] = p.process ?? [];
    // parameters or param_match imply matching the whole command line, as the tracker does
    const matcher = matcherFor(p);
    out.push(` VRRP Track process = ${p.name}`, `   Process = ${path}`);
    if (params.length) out.push(`   Parameters = ${params.join(' ')}`);
    if (matcher && matcher.mode !== 'none') out.push(`   Param match${matcher.mode === 'exact' ? '' : ` = ${matcher.mode}`}`);
    out.push(`   Min processes = ${p.quorum}`);
    if (p.quorumMax !== undefined) out.push(`   Max processes = ${p.quorumMax}`);
    const status = view.host?.processStatus?.(p.name);
    out.push(
      `   Current processes = ${status?.count ?? 0}`,
      `   Have quorum = ${status?.up === true ? 'true' : 'false'}`,
      `   Weight = ${p.weight}${p.weightReverse ? ' reverse' : ''}`,
      `   Terminate delay = ${fixed6(p.terminateDelayMs)}s`,
      `   Fork delay = ${fixed6(p.forkDelayMs)}s`,
      '   Fork delay timer not running',
      '   Terminate delay timer not running',
      `   Full command = ${(matcher?.full ?? p.fullCommand) ? 'true' : 'false'}`,
      ...trackingInstances(view, 'trackProcess', p.name, { weight: p.weight, reverse: p.weightReverse }),
    );
  }
  return out;
}

/** The bfd_instances the VRRP process hears of, with the state it last heard (vrrp_data.c dump_vrrp_tracked_bfd). */
function trackBfdLines(view: VrrpView): string[] {
  return (view.config.bfdInstances ?? []).filter((b) => b.vrrp).flatMap((b) => [
    ` VRRP Track BFD = ${b.name}`,
    `   Weight = ${b.weight}${b.weightReverse ? ' reverse' : ''}`,
    `   Bfd is ${view.host?.bfdUp?.(b.name) ? 'up' : 'down'}`,
    '   Tracking VRRP instances :',
    ...trackingInstances(view, 'trackBfd', b.name, { weight: b.weight, reverse: b.weightReverse }),
  ]);
}

/** The sections after the socket pool: sync groups, scripts, track files, track processes. */
export function trackingSections(view: VrrpView): string[] {
  const cfg = view.config;
  const section = (title: string, lines: string[]): string[] => (lines.length ? [`------< ${title} >------`, ...lines] : []);
  return [
    ...section('VRRP Sync groups', cfg.vrrpSyncGroups.flatMap((g) => groupLines(view, g))),
    ...section('VRRP Scripts', scriptLines(view)),
    ...section('VRRP Track files', trackFileLines(view)),
    ...section('VRRP Track processes', trackProcessLines(view)),
    ...section('VRRP Track BFDs', trackBfdLines(view)),
  ];
}
