/**
 * keepalived.data (SIGUSR1) of the VRRP process: keepalived 2.2.7 dump_data_vrrp
 * (vrrp/vrrp_data.c), section by section in its order and words: global definitions, static
 * addresses, routes, rules and track groups, the VRRP topology, the socket pool, sync groups, scripts, track
 * files and processes, and the interfaces. keepalived-exporter parses "Key = value" lines under
 * " VRRP Instance = NAME". What keepalived-ts writes differently, and why, is listed in
 * test/fixtures/dumps/known-differences.json (checked against keepalived by
 * test/netns/dump-oracle.test.ts).
 */
import type { RuleEntry } from '../config/model.js';
import { defaultRulePreferences } from '../netlink/rule.js';
import type { DumpTime } from './common.js';
import { globalLines } from './global.js';
import { garpDelayLines, interfaceLines, sockpoolLines } from './host.js';
import { instanceLines } from './instance.js';
import { formatAddress, formatRoute, formatRule, vrfTables } from './ip.js';
import { trackingSections } from './tracking.js';
import type { VrrpView } from '../daemon/view.js';

function staticSections(view: VrrpView, preference: (r: RuleEntry) => number | undefined): string[] {
  const cfg = view.config;
  const out: string[] = [];
  const section = (title: string, lines: string[]): void => {
    if (lines.length) out.push(`------< ${title} >------`, ...lines.map((l) => `     ${l}`));
  };
  // static addresses go on their `dev`, else on the default interface; installed at start
  const dflt = cfg.globalDefs.defaultInterface ?? 'eth0';
  section('Static Addresses', cfg.staticIpaddress.map((a) => formatAddress(a, { dev: a.dev ?? dflt, set: true })));
  const vrfs = vrfTables(view.host?.links());
  section('Static Routes', cfg.staticRoutes.map((r) => formatRoute(r, view.rtNames, vrfs)));
  section('Static Rules', cfg.staticRules.map((r) => formatRule(r, preference(r), view.rtNames)));
  // keepalived dump_static_track_group: the groups left after static_track_group_init
  if (cfg.staticTrackGroups.length) {
    out.push('------< Static Track groups >------');
    for (const g of cfg.staticTrackGroups) {
      out.push(` Static Track Group = ${g.name}`);
      if (g.group?.length) out.push('   VRRP member instances :', ...g.group.map((m) => `     ${m.name}`));
    }
  }
  return out;
}

/** The VRRP process's state dump. `hostname` is the router_id default. */
export function formatData(view: VrrpView, time: DumpTime, hostname = ''): string {
  const cfg = view.config;
  // the preferences the daemon gives rules written without one (AddressManager.numberRules)
  const prefs = defaultRulePreferences([...cfg.staticRules, ...cfg.vrrpInstances.flatMap((vi) => vi.virtualRules)], view.rtNames);
  const preference = (r: RuleEntry): number | undefined => prefs.get(r);
  const out = [...globalLines(view, hostname), ...garpDelayLines(view), ...staticSections(view, preference)];
  if (view.instances.length) {
    out.push('------< VRRP Topology >------');
    for (const iv of view.instances) out.push(...instanceLines(iv, view, time, preference));
  }
  out.push(...sockpoolLines(view), ...trackingSections(view), ...interfaceLines(view));
  return `${out.join('\n')}\n`;
}
