/**
 * A VRRP director in a lab host: keepalived-ts (this repository's dist/) or real keepalived,
 * started in the foreground on a config file written to a private temp directory, with its
 * log lines watched. Both print "(VI_1) Entering MASTER STATE", which is what tests wait for.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { NetLab } from './netlab.js';
import { LineWatch } from './watch.js';

export type Implementation = 'kts' | 'keepalived';

/** dist/src/cli.js, whether this file runs from src/ (vitest) or dist/src/ (compiled). */
export function ktsCli(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  const root = here.includes('/dist/') ? join(here, '..', '..', '..') : join(here, '..', '..');
  return join(root, 'dist', 'src', 'cli.js');
}

/** The node flags of the cli's `#!/usr/bin/env -S node ...` line: run the daemon as installed. */
export function ktsNodeFlags(): string[] {
  try {
    const first = readFileSync(ktsCli(), 'utf8').split('\n', 1)[0] ?? '';
    const m = /^#!\/usr\/bin\/env -S node(.*)$/.exec(first);
    return m ? m[1]!.trim().split(/\s+/).filter(Boolean) : [];
  } catch {
    return [];
  }
}

export class Director {
  readonly dir: string;
  readonly watch: LineWatch;
  readonly pid: number;

  constructor(
    readonly lab: NetLab,
    readonly host: string,
    readonly impl: Implementation,
    readonly conf: string,
    extraArgs: readonly string[] = [],
    /** node flags for keepalived-ts (benchmarks) */
    nodeFlags: readonly string[] = [],
  ) {
    this.dir = mkdtempSync(join(tmpdir(), `${lab.prefix}-${host}-`));
    const file = join(this.dir, 'keepalived.conf');
    writeFileSync(file, conf);
    const child = impl === 'kts'
      ? lab.spawn(host, process.execPath, [...ktsNodeFlags(), ...nodeFlags, ktsCli(), '-n', '-l', '-P', '-f', file, '-p', join(this.dir, 'kts.pid'), ...extraArgs])
      : lab.spawn(host, 'keepalived', ['-n', '-l', '-D', '-P', '-f', file,
        '-p', join(this.dir, 'k.pid'), '-r', join(this.dir, 'v.pid'), '-c', join(this.dir, 'c.pid'), ...extraArgs]);
    this.watch = new LineWatch(child);
    this.pid = child.pid!;
  }

  /** Wait for "(INST) Entering STATE STATE" after line `from`. */
  state(state: 'MASTER' | 'BACKUP' | 'FAULT', timeoutMs: number, from = 0, instance = 'VI_1'): Promise<{ at: number }> {
    return this.watch.waitFor(new RegExp(`\\(${instance}\\) Entering ${state} STATE`), timeoutMs, from);
  }

  /** The state of the last "Entering ... STATE" line (INIT before the first). */
  lastState(instance = 'VI_1'): string {
    // also keepalived's "(VI_1): entering FAULT state (src address not configured)" form
    const re = new RegExp(`\\(${instance}\\):? [Ee]ntering (\\w+) (?:STATE|state)`);
    for (let i = this.watch.lines.length - 1; i >= 0; i--) {
      const m = re.exec(this.watch.lines[i]!.text);
      if (m) return m[1]!;
    }
    return 'INIT';
  }

  signal(sig: NodeJS.Signals): void {
    try { process.kill(this.pid, sig); } catch { /* gone */ }
  }

  exited(timeoutMs: number): Promise<number | null> {
    const child = this.watch.child;
    if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode);
    return new Promise((resolve) => {
      const t = setTimeout(() => resolve(null), timeoutMs);
      child.once('exit', (code) => { clearTimeout(t); resolve(code ?? -1); });
    });
  }

  cleanup(): void {
    this.signal('SIGKILL');
    rmSync(this.dir, { recursive: true, force: true });
  }
}
