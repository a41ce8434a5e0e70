/**
 * Completing the drafts into the model keepalived would run: its defaults and adjustments
 * (vrrp_complete_instance in complete-vrrp.ts, validate_check_config in complete-lvs.ts), then
 * the cross-block checks of validate.ts. Problems are reported, never silently replaced; each
 * adjustment is a row of docs/semantics.md.
 */
import type { Diagnostics } from './diagnostics.js';
import type { KeepalivedConfig } from './model.js';
import type { Draft } from './parser.js';
import type { Loc } from './loc.js';
import { validate, type MachineView } from './validate.js';
import { completeVrrpGlobals, completeVrrpInstance, inheritFromSyncGroups, resolveTrackRefs } from './complete-vrrp.js';
import { completeVirtualServer } from './complete-lvs.js';
import { ROUTE_WORDS_NOT_SENT, RULE_WORDS_NOT_SENT } from './route-support.js';

export function complete(root: Draft, diags: Diagnostics, mainLoc: Loc, machine?: MachineView): KeepalivedConfig {
  let refused = false;
  const g = root.globalDefs as Draft;
  completeVrrpGlobals(g);
  // vrrp_vscript_end_handler: a vrrp_script without a script is removed (then unknown to its users)
  root.vrrpScripts = (root.vrrpScripts as Draft[]).filter((s) => {
    if (s.script !== undefined) return true;
    diags.add('CONFIG_MISSING', 'GENERAL_ERROR', `No script set for vrrp_script ${s.name as string} - removing`, s.loc as Loc, { row: 'vrrp.script-without-script' });
    return false;
  });
  const instances = root.vrrpInstances as Draft[];
  for (const d of instances) {
    // keepalived's VRRP process exits with a configuration error ("permanent error CONFIG")
    if (!completeVrrpInstance(d, g, diags)) refused = true;
  }
  inheritFromSyncGroups(instances, root.vrrpSyncGroups as Draft[], g);
  resolveTrackRefs(root);
  const groups = new Map((root.virtualServerGroups as Draft[]).map((g) => [g.name as string, g.entries as Draft[]]));
  const servers = (root.virtualServers as Draft[]).flatMap((d) => completeVirtualServer(d, g, diags, groups) ?? []);
  const config = {
    ...root,
    // without a global_defs block the defaults belong to the main file as a whole
    globalDefs: { loc: mainLoc, ...g },
    vrrpInstances: instances,
    virtualServers: servers,
  } as unknown as KeepalivedConfig;
  unsentRoutes(config, diags);
  validate(config, diags, machine);
  if (refused) diags.add('CONFIG_VALUE', 'OK', 'keepalived would not run this configuration: its VRRP process exits with a configuration error (see the errors above)', mainLoc, { refusesRun: true, row: 'vrrp.instance-refused' });
  return config;
}

/** Routes and rules keepalived-ts cannot install (words it does not send yet): said at -t and start. */
function unsentRoutes(c: KeepalivedConfig, diags: Diagnostics): void {
  const check = (entries: readonly { words: readonly string[]; loc: Loc }[], notSent: ReadonlySet<string>, what: string): void => {
    for (const e of entries) {
      const word = e.words.find((w) => notSent.has(w));
      if (word !== undefined) {
        diags.add('CONFIG_UNSUPPORTED', 'OK', `${what} '${e.words.join(' ')}': '${word}' is accepted but not supported by keepalived-ts: this ${what} cannot be installed`, e.loc, { row: 'route.words-not-sent' });
      }
    }
  };
  check(c.staticRoutes, ROUTE_WORDS_NOT_SENT, 'route');
  check(c.staticRules, RULE_WORDS_NOT_SENT, 'rule');
  for (const i of c.vrrpInstances) {
    check(i.virtualRoutes, ROUTE_WORDS_NOT_SENT, 'route');
    check(i.virtualRules, RULE_WORDS_NOT_SENT, 'rule');
  }
}

