#!/usr/bin/env node
// bench/dump-fuzz: the effective-configuration half of issue 16's differential fuzzer. Configs
// with VRRP instances, generated from keepalived 2.2.7's vocabulary or mutated from the VRRP
// fixtures and Debian's samples (src/lab/config-fuzz.ts), are run by real keepalived and by
// keepalived-ts side by side (src/lab/dump-oracle.ts, a namespace each), and their SIGUSR1 data
// dumps compared once momentary state is normalised away. A case counts as identical when the
// only differences left are the 'everywhere' lines and those listed for its source config in
// test/fixtures/dumps/known-differences.json; otherwise its new lines are printed, grouped by
// line so that one cause found by many cases shows once. About 4 s a case.
// With --dir DIR the cases are the .conf files of DIR read as they are (issue 16's held-out set
// of public configurations, kept outside the repository), each given the links it names
// (`interface NAME`) besides the oracle's.
// Usage (root): npm run build && node bench/dump-fuzz.mjs [--seed 1] [--cases 100] [--dir DIR] [--json FILE]
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cases, fuzzCorpus } from '../dist/src/lab/config-fuzz.js';
import { compareDumps, minusLines, ORACLE_LINKS } from '../dist/src/lab/dump-oracle.js';

const arg = (name, dflt) => {
  const i = process.argv.indexOf(`--${name}`);
  return i === -1 ? dflt : process.argv[i + 1];
};
const seed = Number(arg('seed', 1));
const count = Number(arg('cases', 100));
const SAMPLES = '/usr/share/doc/keepalived/samples';
const known = JSON.parse(readFileSync('test/fixtures/dumps/known-differences.json', 'utf8'));
// as test/netns/dump-oracle.test.ts: an 'everywhere' line goes in every occurrence (one a socket)
const everywhere = new Set(known.everywhere.flatMap((d) => d.lines));
const listedFor = (source) => {
  const id = source?.startsWith(`${process.cwd()}/`) ? source.slice(process.cwd().length + 1) : source;
  return (known.configs[id]?.differences ?? []).flatMap((d) => d.lines);
};

const corpus = fuzzCorpus(['test/fixtures/config/good'], [
  '/etc/keepalived/keepalived.conf.sample',
  ...['sample', 'vrrp', 'vrrp.sync', 'vrrp.scripts', 'vrrp.routes', 'vrrp.rules', 'vrrp.localcheck', 'track_interface', 'IPv6']
    .map((n) => `${SAMPLES}/keepalived.conf.${n}`),
]).filter((c) => /^\s*vrrp_instance\b/m.test(c.text) && !known.configs[c.name]?.notCompared);

const dir = arg('dir', undefined);
const vrrpCases = dir
  ? readdirSync(dir).filter((n) => n.endsWith('.conf')).sort().map((n, index) => ({ index, source: join(dir, n), text: readFileSync(join(dir, n), 'utf8') }))
    .filter((c) => /^\s*vrrp_instance\b/m.test(c.text))
  : cases(seed, count * 4, corpus).filter((c) => /^\s*vrrp_instance\b/m.test(c.text)).slice(0, count);
/** the oracle's links, and one more for each other interface a configuration names (a veth name has at most 15 characters) */
const linksFor = (text) => {
  const names = [...new Set([...text.matchAll(/^\s*interface\s+(\S+)/gm)].map((m) => m[1]))]
    .filter((n) => n.length <= 15 && /^[A-Za-z0-9._-]+$/.test(n) && !ORACLE_LINKS.some((l) => l.name === n));
  return [...ORACLE_LINKS, ...names.slice(0, 8).map((name, i) => ({ name, mac: `02:00:5e:10:01:${(i + 16).toString(16)}`, addresses: [`10.201.${i}.1/24`] }))];
};
let bothRan = 0;
let identical = 0;
const onlyOne = [];
const byLine = new Map();
const t0 = performance.now();
for (const c of vrrpCases) {
  const r = await compareDumps({ text: c.text }, { tag: 'ktsdf', ...(dir ? { links: linksFor(c.text) } : {}) });
  const k = r.keepalived.data !== undefined;
  const t = r.kts.data !== undefined;
  if (k !== t) {
    onlyOne.push({ index: c.index, source: c.source, ran: k ? 'keepalived' : 'keepalived-ts', text: c.text, log: (k ? r.kts : r.keepalived).log.slice(-5) });
    continue;
  }
  if (!k) continue;
  bothRan++;
  const fresh = minusLines(r.diff.filter((l) => !everywhere.has(l)), listedFor(c.source));
  if (fresh.length === 0) {
    identical++;
    continue;
  }
  for (const l of fresh) {
    const e = byLine.get(l) ?? { count: 0, first: { index: c.index, source: c.source, text: c.text, diff: fresh } };
    e.count++;
    byLine.set(l, e);
  }
  process.stdout.write(`case ${c.index} (${c.source ?? 'generated'}): ${fresh.length} new lines\n`);
}
const pct = (a, b) => (b === 0 ? '-' : `${((100 * a) / b).toFixed(1)} %`);
console.log(`\nseed ${seed}: ${vrrpCases.length} VRRP cases; both daemons ran ${bothRan}; dumps identical (but for listed lines) on ${identical} (${pct(identical, bothRan)}); only one daemon ran on ${onlyOne.length}; ${((performance.now() - t0) / 1000).toFixed(0)} s`);
for (const o of onlyOne) console.log(`\nonly ${o.ran} ran: case ${o.index} (${o.source ?? 'generated'})\n${o.log.join('\n')}`);
for (const [line, e] of [...byLine].sort((a, b) => b[1].count - a[1].count)) {
  console.log(`\n${e.count} x ${line}\n  first in case ${e.first.index} (${e.first.source ?? 'generated'})`);
}
const json = arg('json', undefined);
if (json) writeFileSync(json, JSON.stringify({ seed, cases: vrrpCases.length, bothRan, identical, onlyOne, byLine: Object.fromEntries(byLine) }, null, 2));
