#!/usr/bin/env node
// bench/config-heldout: the `-t` class of keepalived 2.2.7 and keepalived-ts on a directory of
// configurations this repository does not hold (issue 16's held-out set: public
// keepalived.conf files written by others, kept outside the repository), each read as it is,
// in the `-t` oracle's namespace layout (src/lab/config-fuzz.ts judgeFiles). Prints the share
// that agrees and every disagreement with both statuses; --show prints keepalived-ts's
// diagnostics of each disagreement.
// Usage (root): npm run build && node bench/config-heldout.mjs --dir DIR [--show] [--json FILE]
import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { judgeFiles } from '../dist/src/lab/config-fuzz.js';
import { loadConfig } from '../dist/src/config/load.js';

const arg = (name, dflt) => {
  const i = process.argv.indexOf(`--${name}`);
  return i === -1 ? dflt : process.argv[i + 1];
};
const dir = arg('dir');
if (!dir) {
  console.error('usage: node bench/config-heldout.mjs --dir DIR [--show] [--json FILE]');
  process.exit(2);
}
const files = readdirSync(dir).filter((n) => n.endsWith('.conf')).sort().map((n) => join(dir, n));
const t0 = performance.now();
const verdicts = judgeFiles(files);
const differ = verdicts.filter((v) => v.keepalived !== v.ours);
const agreed = verdicts.length - differ.length;
console.log(`${agreed}/${verdicts.length} agree (${((100 * agreed) / Math.max(1, verdicts.length)).toFixed(1)}%) in ${((performance.now() - t0) / 1000).toFixed(0)} s`);
for (const v of differ) {
  console.log(`${v.file}: keepalived ${v.keepalived}, keepalived-ts ${v.ours}`);
  if (process.argv.includes('--show')) {
    try {
      for (const d of loadConfig(v.file).diagnostics.list) console.log(`    ${d.code} ${d.kaClass} ${d.loc?.line ?? ""}: ${d.message}`);
    } catch (e) {
      console.log(`    (load failed: ${e.message})`);
    }
  }
}
if (arg('json')) writeFileSync(arg('json'), `${JSON.stringify(verdicts, null, 2)}\n`);
