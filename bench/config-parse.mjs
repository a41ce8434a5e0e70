#!/usr/bin/env node
// bench/config-parse: parse + validate a generated config of 1,000 virtual servers x 100 real
// servers with TCP_CHECK (about 800,000 lines), `keepalived -t` and `keepalived-ts -t` side by
// side in one run, alternating, best of N. Prints wall time, peak RSS and the ratio.
// Usage (root not needed): npm run build && node bench/config-parse.mjs [--runs N] [--vs N] [--rs N]
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const arg = (name, dflt) => {
  const i = process.argv.indexOf(`--${name}`);
  return i === -1 ? dflt : Number(process.argv[i + 1]);
};
const runs = arg('runs', 3);
const nVs = arg('vs', 1000);
const nRs = arg('rs', 100);

function generate(file) {
  const out = ['global_defs {', '    router_id bench', '}'];
  for (let v = 0; v < nVs; v++) {
    out.push(`virtual_server 10.${v >> 8}.${v & 255}.1 80 {`, '    delay_loop 6', '    lb_algo wlc', '    lb_kind NAT', '    protocol TCP');
    for (let r = 0; r < nRs; r++) {
      out.push(`    real_server 172.16.${r}.${(v % 250) + 1} 8080 {`, '        weight 1', '        TCP_CHECK {', '            connect_timeout 3', '            retry 2', '            delay_before_retry 2', '        }', '    }');
    }
    out.push('}');
  }
  writeFileSync(file, `${out.join('\n')}\n`);
  return out.length;
}

/** Wall seconds and peak RSS (MB) of one command, through GNU time. */
function measure(cmd, args) {
  const r = spawnSync('/usr/bin/time', ['-f', '%e %M %U %S', cmd, ...args], { encoding: 'utf8', maxBuffer: 1 << 28 });
  const last = r.stderr.trim().split('\n').pop();
  const [secs, kb, user, sys] = last.split(' ').map(Number);
  return { secs, mb: kb / 1024, cpu: user + sys, status: r.status };
}

// `keepalived-ts -t` as installed: node with the V8 flags of the command's first line
const cli = join(root, 'dist/src/cli.js');
const launcherFlags = (readFileSync(cli, 'utf8').split('\n')[0].match(/node (.*)$/)?.[1] ?? '').split(' ').filter((f) => f.startsWith('--'));

const dir = mkdtempSync(join(tmpdir(), 'kts-bench-'));
try {
  const conf = join(dir, 'big.conf');
  const lines = generate(conf);
  const size = statSync(conf).size;
  const version = spawnSync('keepalived', ['-v'], { encoding: 'utf8' }).stderr.split('\n')[0] || 'keepalived';
  console.log(`config: ${lines} lines, ${(size / 1e6).toFixed(1)} MB (${nVs} virtual servers x ${nRs} real servers, TCP_CHECK)`);
  const ka = [];
  const ts = [];
  for (let i = 0; i < runs; i++) {
    ka.push(measure('keepalived', ['-t', '-f', conf]));
    ts.push(measure(process.execPath, [...launcherFlags, cli, '-t', '-f', conf]));
  }
  const best = (xs) => xs.reduce((a, b) => (b.secs < a.secs ? b : a));
  const k = best(ka);
  const t = best(ts);
  const peak = Math.max(...ts.map((x) => x.mb));
  console.log(`keepalived -t    : ${k.secs.toFixed(2)} s, ${k.mb.toFixed(0)} MB peak RSS, exit ${k.status} (${version.trim()})`);
  console.log(`keepalived-ts -t : ${t.secs.toFixed(2)} s, ${peak.toFixed(0)} MB peak RSS, exit ${t.status} (node ${launcherFlags.join(' ')})`);
  const cpu = (xs) => Math.min(...xs.map((x) => x.cpu));
  console.log(`ratio (keepalived-ts / keepalived, best of ${runs}): wall ${(t.secs / k.secs).toFixed(2)}, CPU ${(cpu(ts) / cpu(ka)).toFixed(2)}  target <= 1.0`);
  console.log(`CPU seconds (user+sys, best): keepalived ${cpu(ka).toFixed(2)}, keepalived-ts ${cpu(ts).toFixed(2)}`);
  console.log(`peak RSS: ${peak.toFixed(0)} MB  target <= 300 MB`);
  if (k.status !== t.status) console.log(`WARNING: exit statuses differ (${k.status} vs ${t.status})`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
