/**
 * keepalived reads its configuration once per process, and each process reads only its own
 * top-level keywords (lib/parser.c: an inactive keyword's block is skipped by counting braces).
 * `keepalived -t` does the same in turn (core/main.c validate_config): the parent's pass (the
 * global keywords), then the checker's, the VRRP process's and the BFD process's.
 *
 * On a configuration whose braces are balanced and where every block opens where it should,
 * every pass sees the same blocks as one pass that reads everything, and keepalived-ts reads
 * it once. When they are not (an unexpected '{', a missing one), counting braces and reading
 * blocks part ways: a stray '{' inside global_defs, ignored by the parent's pass, makes the
 * VRRP pass skip the vrrp_script that follows. Then keepalived-ts reads the file as each of
 * keepalived's processes does and takes from each pass what that process owns.
 */
import type { RootDraft } from './root-draft.js';

/** core/global_parser.c init_global_keywords: active in the parent (and in children on reload only) */
const GLOBAL = ['global_defs', 'linkbeat_use_polling', 'net_namespace', 'net_namespace_ipvs', 'namespace_with_ipsets', 'use_pid_dir', 'instance', 'child_wait_time'];
/** vrrp/vrrp_parser.c init_vrrp_keywords */
export const VRRP_BLOCKS = ['track_group', 'static_ipaddress', 'static_routes', 'static_rules', 'vrrp_sync_group', 'garp_group', 'linkbeat_interfaces', 'vrrp_instance', 'vrrp_script', 'vrrp_track_process', 'interface_up_down_delays'];
/** check/check_parser.c init_check_keywords */
export const CHECK_BLOCKS = ['SSL', 'virtual_server_group', 'virtual_server'];
/** bfd/bfd_parser.c init_bfd_keywords */
const BFD = ['bfd_instance'];
/** trackers/track_file.c add_track_file_keywords */
const TRACK_FILE = ['track_file', 'vrrp_track_file'];

export interface Pass {
  readonly name: 'global' | 'checker' | 'vrrp' | 'bfd';
  /** the top-level keywords this pass reads */
  readonly active: ReadonlySet<string>;
  /** the root draft's fields this pass's process owns */
  readonly owns: readonly (keyof RootDraft)[];
}

/** keepalived -t's order (core/main.c validate_config runs the checker's before the VRRP process's). */
export const PASSES: readonly Pass[] = [
  { name: 'global', active: new Set(GLOBAL), owns: ['globalDefs', 'netNamespace', 'instance', 'usePidDir', 'linkbeatUsePolling'] },
  { name: 'checker', active: new Set([...CHECK_BLOCKS, ...BFD, ...TRACK_FILE]), owns: ['virtualServers', 'virtualServerGroups', 'ssl'] },
  {
    name: 'vrrp',
    active: new Set([...VRRP_BLOCKS, ...BFD, ...TRACK_FILE]),
    owns: ['staticIpaddress', 'staticRoutes', 'staticRules', 'staticTrackGroups', 'vrrpScripts', 'trackFiles', 'trackProcesses', 'vrrpInstances', 'vrrpSyncGroups',
      'garpGroups', 'linkbeatInterfaces', 'interfaceDelays', 'interfaceChecks'],
  },
  { name: 'bfd', active: new Set(BFD), owns: ['bfdInstances'] },
];

/** The top-level keywords a pass skips: every keyword of the table it does not read. */
export function inactiveIn(pass: Pass, topKeywords: Iterable<string>): Set<string> {
  return new Set([...topKeywords].filter((k) => !pass.active.has(k)));
}

/** One root draft from the passes' drafts: each field from the pass whose process owns it. */
export function mergePasses(fresh: RootDraft, drafts: ReadonlyMap<Pass['name'], RootDraft>): RootDraft {
  const out: RootDraft = { ...fresh };
  for (const p of PASSES) {
    const d = drafts.get(p.name);
    if (!d) continue;
    for (const f of p.owns) take(out, d, f);
  }
  return out;
}

function take<K extends keyof RootDraft>(out: RootDraft, from: RootDraft, f: K): void {
  if (from[f] !== undefined) out[f] = from[f];
}
