#!/usr/bin/env node
// bench/config-fuzz: the differential fuzzer of `-t` (src/lab/config-fuzz.ts) on demand, for
// longer runs than CI's fixed seed: N cases per seed, half generated from keepalived 2.2.7's
// vocabulary and half mutated from the fixtures and keepalived's installed samples; every
// disagreement with keepalived's exit status is printed minimised, with its seed and index.
// Usage (root): npm run build && node bench/config-fuzz.mjs [--seed 1] [--seeds 1] [--cases 500] [--json FILE]
import { writeFileSync } from 'node:fs';
import { configFuzz, fuzzCorpus } from '../dist/src/lab/config-fuzz.js';

const arg = (name, dflt) => {
  const i = process.argv.indexOf(`--${name}`);
  return i === -1 ? dflt : process.argv[i + 1];
};
const first = Number(arg('seed', 1));
const seeds = Number(arg('seeds', 1));
const count = Number(arg('cases', 500));
const corpus = fuzzCorpus(['test/fixtures/config/good', 'test/fixtures/config/bad'], [
  '/etc/keepalived/keepalived.conf.sample',
  ...['sample', 'vrrp', 'vrrp.sync', 'vrrp.scripts', 'vrrp.routes', 'vrrp.rules', 'quorum', 'fwmark', 'inhibit', 'misc_check', 'HTTP_GET.port', 'SSL_GET', 'virtual_server_group', 'track_interface', 'IPv6']
    .map((n) => `/usr/share/doc/keepalived/samples/keepalived.conf.${n}`),
]);
const all = [];
let total = 0;
let agreed = 0;
const t0 = performance.now();
for (let s = first; s < first + seeds; s++) {
  const r = configFuzz(s, count, corpus);
  total += r.cases;
  agreed += r.agreed;
  all.push(...r.findings);
  console.log(`seed ${s}: ${r.agreed}/${r.cases} agree, ${r.findings.length} disagreements`);
}
console.log(`\n${agreed}/${total} cases agree (${((100 * agreed) / total).toFixed(1)}%) in ${((performance.now() - t0) / 1000).toFixed(0)} s; corpus ${corpus.length} files`);
for (const f of all) {
  console.log(`\n--- seed ${f.seed} case ${f.index} (${f.kind}${f.source ? ` of ${f.source}` : ''}): keepalived ${f.keepalived}, keepalived-ts ${f.ours}`);
  console.log(f.minimal.trim());
}
if (arg('json')) writeFileSync(arg('json'), `${JSON.stringify(all, null, 2)}\n`);
