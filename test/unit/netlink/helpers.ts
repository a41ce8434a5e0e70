// Entries for the conversion tables, made by the real config loader from static_* blocks, so
// the tests see the model exactly as the daemon does (defaults included).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../../src/config/load.js';
import type { AddressEntry, RouteEntry, RuleEntry } from '../../../src/config/model.js';

function load(block: 'static_ipaddress' | 'static_routes' | 'static_rules', lines: readonly string[]) {
  const dir = mkdtempSync(join(tmpdir(), 'kts-netlink-'));
  try {
    const file = join(dir, 'keepalived.conf');
    writeFileSync(file, `${block} {\n${lines.map((l) => `  ${l}\n`).join('')}}\n`);
    return loadConfig(file, { configId: 'test' }).config;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** One static_ipaddress line -> its AddressEntry. */
export function vip(line: string): AddressEntry {
  const [e] = load('static_ipaddress', [line]).staticIpaddress;
  if (!e) throw new Error(`no address parsed from '${line}'`);
  return e;
}

/** One static_routes line -> its RouteEntry. */
export function route(line: string): RouteEntry {
  const [e] = load('static_routes', [line]).staticRoutes;
  if (!e) throw new Error(`no route parsed from '${line}'`);
  return e;
}

/** static_rules lines -> their RuleEntries, in order. */
export function rules(...lines: string[]): RuleEntry[] {
  return [...load('static_rules', lines).staticRules];
}

export const bytes = (b: Uint8Array | undefined): number[] | undefined => (b ? [...b] : undefined);
