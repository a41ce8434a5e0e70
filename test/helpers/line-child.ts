// A child process whose stdout lines (and stderr) are collected as they come, for tests that
// run a helper script in a namespace and read its JSON lines back (test/netns/native.test.ts,
// test/netns/bfd-socket.test.ts).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Json = Record<string, any>;

/** The JSON objects among `out`'s lines (other lines are left out). */
export const jsonLines = (out: string): Json[] => out.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Json);

/** A command's status and output (-1 for one killed by a signal, its timeout included). */
export function run(cmd: string, args: string[], timeoutMs = 60_000, cwd = process.cwd()): { rc: number; stdout: string; stderr: string } {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8', timeout: timeoutMs });
  if (r.error) throw r.error;
  return { rc: r.status ?? -1, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
}

/** A command's stdout; throws with its stderr when it fails. */
export function must(cmd: string, args: string[]): string {
  const r = run(cmd, args);
  if (r.rc !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.rc}): ${r.stderr.trim()}`);
  return r.stdout;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export class LineChild {
  readonly lines: string[] = [];
  stderr = '';
  exit: number | null | undefined;
  readonly proc: ChildProcess;

  /** `stdin`: 'pipe' when the test writes to the child, else 'ignore'. */
  constructor(cmd: string, args: string[], opts: { cwd: string; stdin?: 'pipe' | 'ignore' }) {
    this.proc = spawn(cmd, args, { cwd: opts.cwd, stdio: [opts.stdin ?? 'ignore', 'pipe', 'pipe'] });
    let buf = '';
    this.proc.stdout!.on('data', (d: Buffer) => {
      buf += d.toString();
      const parts = buf.split('\n');
      buf = parts.pop()!;
      this.lines.push(...parts);
    });
    this.proc.stderr!.on('data', (d: Buffer) => { this.stderr += d.toString(); });
    this.proc.on('exit', (code) => { this.exit = code; });
  }

  json(): Json[] {
    return jsonLines(this.lines.join('\n'));
  }

  async waitFor(what: string, pred: () => boolean, timeoutMs = 20_000): Promise<void> {
    const end = Date.now() + timeoutMs;
    while (!pred()) {
      if (Date.now() > end) throw new Error(`timed out waiting for ${what}\nstdout:\n${this.lines.join('\n')}\nstderr:\n${this.stderr}`);
      await sleep(25);
    }
  }

  kill(): void {
    if (this.exit === undefined) this.proc.kill('SIGKILL');
  }
}
