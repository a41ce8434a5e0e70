// Every keyword keepalived 2.2.7 accepts is known to keepalived-ts (modelled, or reported as
// accepted-but-unsupported with its location), and keepalived-ts accepts no keyword that
// 2.2.7 would call unknown, except the documented ones below.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { topTable } from '../../../src/config/load.js';
import type { KeywordTable } from '../../../src/config/parser.js';

/** Accepted by keepalived-ts although 2.2.7 does not know them (docs/errors.md, "Differences"). */
// later keepalived keywords (2.3: dump file paths, json_version) and keepalived-ts's own
// (metrics_listen, control_socket, announce_*); docs/errors.md "Deliberate differences" lists them
const BEYOND_2_2_7 = [
  'v3_checksum_as_v2', 'state_dump_file', 'stats_dump_file', 'json_dump_file', 'json_version',
  'metrics_listen', 'control_socket', 'handover_on_stop', 'announce_table', 'announce_vip', 'announce_withdraw_delay', 'announce_daemon',
];

function known(table: KeywordTable, into = new Set<string>(), depth = 0): Set<string> {
  for (const [name, kw] of table) {
    into.add(name);
    if (kw.sub && depth < 8) known(kw.sub, into, depth + 1);
  }
  return into;
}

const keepalived = readFileSync(new URL('../../fixtures/config/keywords-2.2.7.txt', import.meta.url), 'utf8')
  .split('\n')
  .filter((l) => l && !l.startsWith('#'));

describe('keyword vocabulary', () => {
  const ours = known(topTable);

  it('lists the keywords of keepalived 2.2.7', () => {
    expect(keepalived.length).toBeGreaterThan(300);
  });

  it('knows every keyword keepalived 2.2.7 accepts', () => {
    expect(keepalived.filter((k) => !ours.has(k))).toEqual([]);
  });

  it('accepts nothing keepalived 2.2.7 would call unknown, except the documented extensions', () => {
    expect([...ours].filter((k) => !keepalived.includes(k)).sort()).toEqual([...BEYOND_2_2_7].sort());
  });
});
