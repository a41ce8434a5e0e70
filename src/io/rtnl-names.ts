/**
 * Reads the iproute2 name files (`rt_tables`, `rt_protos`, `rt_scopes`, `rt_realms`, `group`)
 * once, as keepalived does, from /etc/iproute2 (else /usr/share/iproute2, where newer iproute2
 * keeps its defaults). Missing files are fine: keepalived's built-in names remain (it has none
 * for realms and groups).
 */
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { DEFAULT_RT_NAMES, GROUP_MAX, mergeNames, parseRtNamesFile, REALM_MAX, type RtNames } from '../netlink/names.js';

const DIRS = ['/etc/iproute2', '/usr/share/iproute2'];

async function readFirst(file: string, dirs: readonly string[]): Promise<string | undefined> {
  for (const d of dirs) {
    try {
      return await readFile(`${d}/${file}`, 'utf8');
    } catch {
      // try the next directory
    }
  }
  return undefined;
}

/** The names keepalived would resolve, from the files under `dirs` plus the defaults. */
export async function loadRtNames(dirs: readonly string[] = DIRS): Promise<RtNames> {
  const [tables, protos, scopes, realms, groups] = await Promise.all(['rt_tables', 'rt_protos', 'rt_scopes', 'rt_realms', 'group'].map((f) => readFirst(f, dirs)));
  return {
    tables: mergeNames(tables ? parseRtNamesFile(tables, 0xffffffff) : new Map(), DEFAULT_RT_NAMES.tables),
    protocols: mergeNames(protos ? parseRtNamesFile(protos, 255) : new Map(), DEFAULT_RT_NAMES.protocols),
    scopes: mergeNames(scopes ? parseRtNamesFile(scopes, 255) : new Map(), DEFAULT_RT_NAMES.scopes),
    realms: mergeNames(realms ? parseRtNamesFile(realms, REALM_MAX) : new Map(), DEFAULT_RT_NAMES.realms!),
    groups: groups ? parseRtNamesFile(groups, GROUP_MAX) : new Map(),
  };
}

let cached: Promise<RtNames> | undefined;

/** loadRtNames() of the default directories, read once per process. */
export function names(): Promise<RtNames> {
  cached ??= loadRtNames();
  return cached;
}

let tablesCached: ReadonlyMap<string, number> | undefined;

/**
 * The routing table names keepalived resolves a route's or rule's `table` with, read
 * synchronously once (the configuration is compiled synchronously): rt_tables, then the
 * built-in names.
 */
export function rtTablesSync(dirs: readonly string[] = DIRS): ReadonlyMap<string, number> {
  if (tablesCached && dirs === DIRS) return tablesCached;
  let text: string | undefined;
  for (const d of dirs) {
    try {
      text = readFileSync(`${d}/rt_tables`, 'utf8');
      break;
    } catch {
      // try the next directory
    }
  }
  const tables = mergeNames(text ? parseRtNamesFile(text, 0xffffffff) : new Map(), DEFAULT_RT_NAMES.tables);
  if (dirs === DIRS) tablesCached = tables;
  return tables;
}
