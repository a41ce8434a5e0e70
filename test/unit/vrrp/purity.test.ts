// The VRRP and BFD cores are sans-I/O: no sockets, processes, timers, clocks, randomness,
// logger or src/io.
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

/** core folder -> how many source files it has at least */
const CORES: ReadonlyArray<readonly [string, number]> = [['vrrp', 6], ['bfd', 3]];

const FORBIDDEN_IMPORTS = [
  /^node:(dgram|net|child_process|timers|timers\/promises|fs|fs\/promises|os|worker_threads|cluster|perf_hooks)$/,
  /^(dgram|net|child_process|timers|fs|os)$/,
  /^pino/,
  /(^|\/)io(\/|$)/,
  /(^|\/)config\//, // the engine has its own input model (src/vrrp/config.ts)
];
const FORBIDDEN_CALLS = [/\bsetTimeout\b/, /\bsetInterval\b/, /\bsetImmediate\b/, /\bDate\.now\b/, /\bnew Date\b/, /\bperformance\.now\b/, /\bprocess\.hrtime\b/, /\bconsole\./, /\bMath\.random\b/];

for (const [core, least] of CORES) describe(`src/${core} purity`, () => {
  const dir = new URL(`../../../src/${core}/`, import.meta.url);
  const files = readdirSync(dir).filter((f) => f.endsWith('.ts'));

  it('has source files to check', () => {
    expect(files.length).toBeGreaterThanOrEqual(least);
  });

  for (const f of files) {
    it(`${f} imports nothing that does I/O and reads no clock`, () => {
      const text = readFileSync(new URL(f, dir), 'utf8');
      const specs = [...text.matchAll(/(?:import|export)[^'"]*?from\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)|require\(\s*['"]([^'"]+)['"]\s*\)/g)]
        .map((m) => m[1] ?? m[2] ?? m[3]!);
      for (const s of specs) {
        for (const re of FORBIDDEN_IMPORTS) expect(re.test(s), `${f} imports ${s}`).toBe(false);
      }
      const code = text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/\/\/.*$/gm, '');
      for (const re of FORBIDDEN_CALLS) expect(re.test(code), `${f} uses ${re}`).toBe(false);
    });
  }
});
