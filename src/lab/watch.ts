/**
 * Line watching for processes the lab starts (keepalived-ts JSON logs, keepalived's console
 * log, tcpdump, ping): every line is kept with its arrival time, and `waitFor` resolves on
 * the first line (old or new) that matches.
 */
import type { ChildProcess } from 'node:child_process';

export interface SeenLine {
  readonly at: number; // performance.now()
  readonly text: string;
}

export class LineWatch {
  readonly lines: SeenLine[] = [];
  private waiters: { re: RegExp | ((l: string) => boolean); from: number; resolve: (l: SeenLine) => void }[] = [];
  exited = false;

  constructor(readonly child: ChildProcess) {
    const feed = (stream: NodeJS.ReadableStream | null): void => {
      if (!stream) return;
      let buf = '';
      stream.setEncoding('utf8');
      stream.on('data', (chunk: string) => {
        buf += chunk;
        let i: number;
        while ((i = buf.indexOf('\n')) >= 0) {
          this.push(buf.slice(0, i));
          buf = buf.slice(i + 1);
        }
      });
    };
    feed(child.stdout);
    feed(child.stderr);
    child.on('exit', () => { this.exited = true; });
  }

  private push(text: string): void {
    const line = { at: performance.now(), text };
    this.lines.push(line);
    const idx = this.lines.length - 1;
    this.waiters = this.waiters.filter((w) => {
      if (idx < w.from || !matches(w.re, text)) return true;
      w.resolve(line);
      return false;
    });
  }

  /** Number of lines so far (pass as `from` to wait only for later lines). */
  mark(): number {
    return this.lines.length;
  }

  find(re: RegExp | ((l: string) => boolean), from = 0): SeenLine | undefined {
    for (let i = from; i < this.lines.length; i++) if (matches(re, this.lines[i]!.text)) return this.lines[i];
    return undefined;
  }

  count(re: RegExp | ((l: string) => boolean), from = 0): number {
    let n = 0;
    for (let i = from; i < this.lines.length; i++) if (matches(re, this.lines[i]!.text)) n++;
    return n;
  }

  waitFor(re: RegExp | ((l: string) => boolean), timeoutMs: number, from = 0): Promise<SeenLine> {
    const seen = this.find(re, from);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w.resolve !== done);
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${String(re)}; last lines:\n${this.tail(15)}`));
      }, timeoutMs);
      const done = (l: SeenLine): void => { clearTimeout(t); resolve(l); };
      this.waiters.push({ re, from, resolve: done });
    });
  }

  tail(n: number): string {
    return this.lines.slice(-n).map((l) => l.text).join('\n');
  }
}

function matches(re: RegExp | ((l: string) => boolean), text: string): boolean {
  return typeof re === 'function' ? re(text) : re.test(text);
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Poll `pred` every 50 ms until it holds; on timeout throw naming `what` (and `explain()`). */
export async function waitUntil(what: string, pred: () => boolean, timeoutMs: number, explain?: () => string): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (pred()) return;
    await sleep(50);
  }
  throw new Error(`timed out: ${what}${explain ? `\n${explain()}` : ''}`);
}
