// Shared helpers of the config unit tests: temporary config trees, the preprocessor's output
// as plain data, and a fake MachineView (no /sys, no /etc/passwd, no script files).
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Reader, type Line, type ReaderOptions } from '../../../src/config/reader.js';
import type { MachineView } from '../../../src/config/validate.js';

/** A temporary directory for one test file; `cleanup()` goes in afterAll. */
export class TmpDir {
  readonly root = mkdtempSync(join(tmpdir(), 'kts-config-'));
  private n = 0;

  /** A fresh sub-directory holding `files` (path -> text); returns its absolute path. */
  tree(files: Record<string, string>): string {
    const dir = join(this.root, String(this.n++));
    mkdirSync(dir);
    for (const [path, text] of Object.entries(files)) {
      mkdirSync(dirname(join(dir, path)), { recursive: true });
      writeFileSync(join(dir, path), text);
    }
    return dir;
  }

  /** A fresh directory with one `keepalived.conf`; returns the file's absolute path. */
  conf(text: string, more: Record<string, string> = {}): string {
    return join(this.tree({ 'keepalived.conf': text, ...more }), 'keepalived.conf');
  }

  cleanup(): void {
    rmSync(this.root, { recursive: true, force: true });
  }
}

/** What a test compares of a logical line. */
export interface LineData {
  words: string[];
  cols: number[];
  file: string;
  line: number;
  text: string;
  quoted?: boolean[];
}

export const lineData = (l: Line): LineData => ({
  words: [...l.words],
  cols: [...l.cols],
  file: l.file,
  line: l.line,
  text: l.text,
  ...(l.quoted ? { quoted: [...l.quoted] } : {}),
});

/** Every logical line of `file` (paths shown relative to the file's directory). */
export function readAll(file: string, options: Partial<ReaderOptions> = {}, opts: { slow?: boolean } = {}): { lines: LineData[]; reader: Reader } {
  const reader = new Reader(file, { configId: 'lb1', displayBase: dirname(file), random: () => 0, ...options });
  if (opts.slow) bypassFastPath(reader);
  const lines: LineData[] = [];
  for (let l = reader.next(); l; l = reader.next()) lines.push(lineData(l));
  return { lines, reader };
}

/**
 * Turn off Reader's private `plainLine()` fast path for one instance, so every physical line
 * takes the general path (nextText -> process -> emit). An own property shadows the prototype
 * method; `next()` calls `this.plainLine()`, so this is the only switch needed. The cast is the
 * honest price of testing a private method from outside.
 */
export function bypassFastPath(reader: Reader): void {
  (reader as unknown as { plainLine: () => boolean }).plainLine = () => false;
}

/** Words of each logical line, joined by one blank: the compact form for table tests. */
export const wordsOf = (lines: readonly LineData[]): string[] => lines.map((l) => l.words.join(' '));

/** A machine with eth0 and eth1 (lo is the loopback), users and groups root and nobody, 4 CPUs, host lb1, every script fine. */
export function fakeMachine(over: Partial<MachineView> = {}): MachineView {
  const ifaces = new Set(['lo', 'eth0', 'eth1']);
  const users = new Set(['root', 'nobody']);
  return {
    interfaceExists: (n) => ifaces.has(n),
    isLoopback: (n) => n === 'lo',
    userExists: (n) => users.has(n),
    groupExists: (n) => users.has(n),
    scriptStatus: () => 'ok',
    cpuCount: () => 4,
    hostname: () => 'lb1.example.org',
    ...over,
  };
}
