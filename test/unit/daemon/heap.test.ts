// collectStartupGarbage (src/daemon/heap.ts): one full collection at once (two with `shrink`,
// the heap then given back) and, with `settle`, one more SETTLE_MS later (what gives the swept
// pages back), on a timer that holds no process alive. Run in a child node with --trace-gc on
// the built module. withoutPretenuring: garbage from an allocation site whose objects survived
// before stays out of the old generation.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const heap = join(import.meta.dirname, '../../../dist/src/daemon/heap.js');

/** The full collections a child made. */
function run(script: string): { fullGcs: number } {
  const r = spawnSync(process.execPath, ['--trace-gc', '--input-type=module', '-e', `import { collectStartupGarbage } from ${JSON.stringify(heap)};\n${script}`], { encoding: 'utf8', timeout: 20_000 });
  expect(r.status, r.stderr).toBe(0);
  return { fullGcs: r.stdout.split('\n').filter((l) => l.includes('Mark-Compact')).length };
}

describe('collectStartupGarbage', () => {
  it('collects once; with settle, once more about 2 s later', () => {
    const once = run('collectStartupGarbage(); setTimeout(() => {}, 3000);');
    const settled = run('collectStartupGarbage({ settle: true }); setTimeout(() => {}, 3000);');
    expect(settled.fullGcs).toBe(once.fullGcs + 1);
  });

  it('with shrink, a second collection at once', () => {
    expect(run('collectStartupGarbage({ shrink: true });').fullGcs).toBe(run('collectStartupGarbage();').fullGcs + 1);
  });

  it('with shrink, the heap a big reading grew is given back', () => {
    // what the VRRP process does at its start: a whole file of 20,000 real servers read, the
    // checker's half dropped, then the collection(s); the heap's committed size after them
    const dir = mkdtempSync(join(tmpdir(), 'kts-heap-'));
    try {
      const conf = join(dir, 'keepalived.conf');
      const lines: string[] = [];
      for (let v = 0; v < 200; v++) {
        lines.push(`virtual_server 10.1.${v}.1 80 {`, '    lb_algo rr', '    lb_kind NAT', '    protocol TCP');
        for (let r = 0; r < 100; r++) lines.push(`    real_server 172.16.${r}.${v + 1} 80 {`, '        weight 1', '        TCP_CHECK {', '            connect_timeout 3', '        }', '    }');
        lines.push('}');
      }
      writeFileSync(conf, `${lines.join('\n')}\n`);
      const load = join(import.meta.dirname, '../../../dist/src/config/load.js');
      const after = (shrink: boolean): number => {
        const r = spawnSync(process.execPath, ['--no-memory-reducer', '--max-semi-space-size=1', '--input-type=module', '-e', `import { collectStartupGarbage } from ${JSON.stringify(heap)};
import { loadConfig } from ${JSON.stringify(load)};
let c = loadConfig(${JSON.stringify(conf)}, { configId: 'x' }).config;
c = { ...c, virtualServers: [] };
collectStartupGarbage(${shrink ? '{ shrink: true }' : ''});
console.log(process.memoryUsage().heapTotal, c.virtualServers.length);`], { encoding: 'utf8', timeout: 30_000 });
        expect(r.status, r.stderr).toBe(0);
        return Number(r.stdout.split(' ')[0]);
      };
      const once = after(false);
      const shrunk = after(true);
      expect(shrunk, `${shrunk} bytes with shrink, ${once} without`).toBeLessThan(once * 0.75);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("the settling collection's timer keeps no process alive", () => {
    // held alive, the process would have made the settling collection too
    expect(run('collectStartupGarbage({ settle: true });').fullGcs).toBe(run('collectStartupGarbage();').fullGcs);
  });
});

/**
 * The old generation's growth while a child makes 300,000 short-lived objects at a site whose
 * 300,000 objects before it survived (V8 then pretenures the site), with the checker's 1 MB
 * young generation.
 */
function oldGrowth(without: boolean): number {
  const script = `import v8 from 'node:v8';
import { withoutPretenuring } from ${JSON.stringify(heap)};
const old = () => v8.getHeapSpaceStatistics().find((s) => s.space_name === 'old_space').space_used_size;
const make = (i) => ({ a: i, b: [i, i] });
const keep = [];
for (let i = 0; i < 300000; i++) keep.push(make(i));
let sink;
const garbage = () => { for (let i = 0; i < 300000; i++) sink = make(i); };
globalThis.gc();
const o = old();
${without ? 'withoutPretenuring(garbage)' : 'garbage()'};
console.log(old() - o, keep.length, typeof sink);`;
  const r = spawnSync(process.execPath, ['--expose-gc', '--max-semi-space-size=1', '--input-type=module', '-e', script], { encoding: 'utf8', timeout: 20_000 });
  expect(r.status, r.stderr).toBe(0);
  return Number(r.stdout.split(' ')[0]);
}

describe('withoutPretenuring', () => {
  it("keeps a pretenured site's garbage out of the old generation", () => {
    const plain = oldGrowth(false);
    // some 31 MB with V8's pretenuring, 2-11 MB without (more when the machine is busy: code
    // V8 optimised with the site pretenured still runs for a while)
    expect(plain).toBeGreaterThan(20e6);
    // the least of three children: a busy machine moves the figure up, never down
    const without = Math.min(oldGrowth(true), oldGrowth(true), oldGrowth(true));
    expect(without, `${without} bytes without, ${plain} with`).toBeLessThan(plain / 2);
  });
});
