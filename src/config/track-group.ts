/**
 * `track_group NAME { group { INSTANCE ... } }` (keepalived 2.2.7 vrrp_parser.c
 * static_track_group_handler / _group_handler, vrrp_static_track.c): the VRRP instances that
 * track the interface of each static address, route and rule naming the group with
 * `track_group NAME`, as keepalived's static_track_group_init sets them up at start.
 *
 * A static entry finds its group when it is read, so the group must come first in the
 * configuration (keepalived: "track_group X not found"); the group's instances are looked up
 * when the configuration is complete (completeTrackGroups).
 */
import type { Diagnostics } from './diagnostics.js';
import { need, table } from './kw.js';
import { lineLoc } from './line.js';
import type { Loc } from './loc.js';
import type { AddressEntry, KeepalivedConfig, RouteEntry, RuleEntry, StaticTrackGroup } from './model.js';
import type { Keyword, Mutable, ParseCtx } from './parser.js';
import type { Line } from './line.js';
import type { VrrpRootDraft } from './keywords-vrrp.js';

/** A track_group being read: the model's group, writable. */
export type TrackGroupDraft = Mutable<StaticTrackGroup>;

const groupTable = table<TrackGroupDraft>({
  group: {
    handler: (ctx, line, d) => {
      if (d.group !== undefined) {
        // keepalived's words (it says "sync group" for a track group here too)
        ctx.report('CONFIG_DUPLICATE', 'GENERAL_ERROR', `Group list already specified for sync group ${d.name}`, lineLoc(line, 0));
        ctx.skipBlock();
        return;
      }
      const names = ctx.readValueBlock(line).flatMap((l) => l.words.map((name, i) => ({ name, loc: lineLoc(l, i) })));
      if (names.length === 0) {
        ctx.report('CONFIG_MISSING', 'GENERAL_ERROR', `Warning - track group ${d.name} has empty group block`, lineLoc(line, 0));
        return;
      }
      d.group = names;
    },
  },
});

export const trackGroupKeyword: Keyword<Pick<VrrpRootDraft, 'staticTrackGroups'>, TrackGroupDraft> = {
  sub: groupTable,
  open: (ctx, line, root) => {
    const name = need(ctx, line, 1);
    if (name === undefined) return undefined;
    if (line.words.length !== 2) {
      ctx.report('CONFIG_VALUE', 'GENERAL_ERROR', 'track_group must have a name - skipping', lineLoc(line, 2));
      return undefined;
    }
    const list = root.staticTrackGroups;
    if (list.some((g) => g.name === name)) {
      ctx.report('CONFIG_DUPLICATE', 'GENERAL_ERROR', `track_group ${name} already defined`, lineLoc(line, 1));
      return undefined;
    }
    const g: TrackGroupDraft = { name, loc: lineLoc(line, 1) };
    list.push(g);
    return g;
  },
};

/**
 * `track_group NAME` at words[i] of a static entry that has `current` so far: keepalived's
 * "track_group X is a duplicate" (it stops reading the entry there: `stop`) and "track_group X
 * not found" (the entry stays, not tracked). `group` is the group found.
 */
export function readTrackGroup(ctx: ParseCtx, line: Line, i: number, groups: ReadonlySet<string>, current: string | undefined): { group?: string; stop?: true } {
  const name = line.words[i + 1] ?? '';
  if (current !== undefined) {
    ctx.report('CONFIG_DUPLICATE', 'GENERAL_ERROR', `track_group ${name} is a duplicate`, lineLoc(line, i + 1));
    return { stop: true };
  }
  if (!groups.has(name)) {
    ctx.report('CONFIG_REFERENCE', 'GENERAL_ERROR', `track_group ${name} not found`, lineLoc(line, i + 1), { row: 'static.track-group-not-found' });
    return {};
  }
  return { group: name };
}

/**
 * `track_group` at words[i] of static route or rule `e`: its group is set, or, for a duplicate,
 * its words end there (keepalived reads no further). The index to read on from; undefined: stop.
 */
export function takeTrackGroup(ctx: ParseCtx, line: Line, i: number, groups: ReadonlySet<string>, e: { trackGroup?: string; words: readonly string[] }): number | undefined {
  const t = readTrackGroup(ctx, line, i, groups, e.trackGroup);
  if (t.stop) {
    e.words = line.words.slice(0, i);
    return undefined;
  }
  if (t.group !== undefined) e.trackGroup = t.group;
  return i + 1;
}

/** The track groups read so far (a static entry can only name one of these). */
export function trackGroupsSoFar(root: Pick<VrrpRootDraft, 'staticTrackGroups'>): ReadonlySet<string> {
  return new Set(root.staticTrackGroups.map((g) => g.name));
}

type Tracked = { readonly trackGroup?: string; readonly noTrack: boolean; readonly loc: Loc };

/**
 * keepalived's static_track_group_init, said as it logs it at start (OK class, row
 * static.track-group-init): a group without instances is removed, with its entries' tracking;
 * an entry also marked no_track is not tracked. Returns the groups that remain.
 */
export function completeTrackGroups(
  groups: readonly StaticTrackGroup[], instances: ReadonlySet<string>,
  entries: { readonly addresses: readonly AddressEntry[]; readonly routes: readonly RouteEntry[]; readonly rules: readonly RuleEntry[] },
  diags: Diagnostics,
): StaticTrackGroup[] {
  const note = (message: string, loc: Loc): void => diags.add('CONFIG_REFERENCE', 'OK', message, loc, { row: 'static.track-group-init', atStart: true });
  const kept: StaticTrackGroup[] = [];
  for (const g of groups) {
    if (g.group === undefined) note(`Static track group ${g.name} has no virtual router(s)`, g.loc);
    else {
      const members = g.group.filter((m) => {
        if (instances.has(m.name)) return true;
        note(`vrrp instance ${m.name} specified in track group ${g.name} doesn't exist - ignoring`, m.loc);
        return false;
      });
      if (members.length > 0) {
        kept.push({ ...g, group: members });
        continue;
      }
      note(`Static track group ${g.name} has no VRRP instance(s)`, g.loc);
    }
    note(`Static track group ${g.name} init fails - removing`, g.loc);
  }
  const what: [string, readonly Tracked[]][] = [['address', entries.addresses], ['route', entries.routes], ['rule', entries.rules]];
  for (const [kind, list] of what) {
    for (const e of list) if (e.trackGroup !== undefined && e.noTrack) note(`Static ${kind} has both track_group and no_track set - not tracking`, e.loc);
  }
  return kept;
}

/**
 * What static_track_group_init adds, in its order: for each static address (on its `dev`, else
 * the default interface), route (`dev`) and rule (`iif` / `dev`) naming a group, and not
 * no_track, each instance of the group tracks that interface unweighted (a weight it had there
 * becomes 0): it is FAULT while the interface is down.
 */
export function groupTracking(c: Pick<KeepalivedConfig, 'staticTrackGroups' | 'staticIpaddress' | 'staticRoutes' | 'staticRules' | 'globalDefs'>): { readonly ifname: string; readonly instance: string }[] {
  const groups = new Map(c.staticTrackGroups.map((g) => [g.name, g.group ?? []]));
  const out: { ifname: string; instance: string }[] = [];
  const add = (e: { readonly trackGroup?: string; readonly noTrack: boolean }, ifname: string | undefined): void => {
    if (e.trackGroup === undefined || e.noTrack || ifname === undefined) return;
    for (const m of groups.get(e.trackGroup) ?? []) out.push({ ifname, instance: m.name });
  };
  for (const a of c.staticIpaddress) add(a, a.dev ?? c.globalDefs.defaultInterface ?? 'eth0');
  for (const r of c.staticRoutes) add(r, r.dev);
  for (const r of c.staticRules) add(r, r.iif);
  return out;
}
