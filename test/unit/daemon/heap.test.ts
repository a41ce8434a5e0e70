// collectStartupGarbage (src/daemon/heap.ts): one full collection at once and, with `settle`,
// one more SETTLE_MS later (what gives the swept pages back), on a timer that holds no process
// alive. Run in a child node with --trace-gc on the built module.
import { spawnSync } from 'node:child_process';
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

  it("the settling collection's timer keeps no process alive", () => {
    // held alive, the process would have made the settling collection too
    expect(run('collectStartupGarbage({ settle: true });').fullGcs).toBe(run('collectStartupGarbage();').fullGcs);
  });
});
