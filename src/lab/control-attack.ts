/**
 * Abusive clients of a control listener, for test/netns/control-abuse.test.ts and
 * bench/control-abuse.mjs:
 * - slow-loris: `slow` connections that each send a request line and then one header line
 *   every `lineEveryMs`, never finishing; each one the server closes is opened again;
 * - bursts: every `burstEveryMs`, `burst` connections opened at once and left silent (kept
 *   until the server closes them or the attack ends).
 * Run as a process (inside the listener's network namespace for TCP):
 *   node dist/src/lab/control-attack.js [--unix PATH] [--tcp HOST:PORT] [--slow 64]
 *     [--burst 1000] [--burst-every-ms 2000] [--line-every-ms 1000] [--seconds 10]
 * It prints one JSON line per target with its counts when the attack ends.
 */
import { connect, type Socket } from 'node:net';
import { pathToFileURL } from 'node:url';

export type Target = { readonly unix: string } | { readonly host: string; readonly port: number };

export interface AttackOptions {
  readonly target: Target;
  readonly slow: number;
  readonly burst: number;
  readonly burstEveryMs: number;
  readonly lineEveryMs: number;
  readonly durationMs: number;
}

export interface AttackCounts {
  target: string;
  slowOpened: number;
  /** slow-loris connections the server closed (timeout, eviction) */
  slowClosed: number;
  burstOpened: number;
  /** burst connections the server closed or refused before the attack ended */
  burstClosed: number;
  connectErrors: number;
}

const open = (t: Target): Socket => ('unix' in t ? connect(t.unix) : connect(t.port, t.host));

export async function attack(o: AttackOptions): Promise<AttackCounts> {
  const c: AttackCounts = {
    target: 'unix' in o.target ? o.target.unix : `${o.target.host}:${o.target.port}`,
    slowOpened: 0, slowClosed: 0, burstOpened: 0, burstClosed: 0, connectErrors: 0,
  };
  const live = new Set<Socket>();
  const timers: NodeJS.Timeout[] = [];
  let running = true;

  const track = (s: Socket, onClose: () => void): void => {
    live.add(s);
    s.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code === 'ECONNREFUSED' || e.code === 'EAGAIN' || e.code === 'EMFILE') c.connectErrors++;
    });
    s.on('data', () => undefined); // answers (408) are read and dropped
    s.once('close', () => {
      live.delete(s);
      if (running) onClose();
    });
  };

  const slowOne = (): void => {
    const s = open(o.target);
    c.slowOpened++;
    let n = 0;
    const t = setInterval(() => {
      if (s.writable) s.write(`x-slow-${n++}: ${'a'.repeat(20)}\r\n`);
    }, o.lineEveryMs);
    s.once('connect', () => s.write('GET /status HTTP/1.1\r\nhost: localhost\r\n'));
    track(s, () => {
      clearInterval(t);
      c.slowClosed++;
      // a real attacker comes back at once; a short pause keeps a refused one from spinning
      timers.push(setTimeout(slowOne, 10));
    });
    s.once('close', () => clearInterval(t));
  };

  const burstOnce = (): void => {
    for (let i = 0; i < o.burst; i++) {
      const s = open(o.target);
      c.burstOpened++;
      track(s, () => { c.burstClosed++; });
    }
  };

  for (let i = 0; i < o.slow; i++) slowOne();
  if (o.burst > 0) {
    burstOnce();
    timers.push(setInterval(burstOnce, o.burstEveryMs));
  }
  await new Promise((r) => setTimeout(r, o.durationMs));
  running = false;
  for (const t of timers) clearTimeout(t);
  for (const s of live) s.destroy();
  return c;
}

function parseArgs(argv: readonly string[]): { targets: Target[]; o: Omit<AttackOptions, 'target'> } {
  const get = (name: string): string | undefined => {
    const i = argv.indexOf(`--${name}`);
    return i === -1 ? undefined : argv[i + 1];
  };
  const num = (name: string, dflt: number): number => Number(get(name) ?? dflt);
  const targets: Target[] = [];
  const unix = get('unix');
  if (unix) targets.push({ unix });
  const tcp = get('tcp');
  if (tcp) {
    const cut = tcp.lastIndexOf(':');
    targets.push({ host: tcp.slice(0, cut), port: Number(tcp.slice(cut + 1)) });
  }
  return {
    targets,
    o: {
      slow: num('slow', 64), burst: num('burst', 1000), burstEveryMs: num('burst-every-ms', 2000),
      lineEveryMs: num('line-every-ms', 1000), durationMs: num('seconds', 10) * 1000,
    },
  };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { targets, o } = parseArgs(process.argv.slice(2));
  if (targets.length === 0) {
    process.stderr.write('usage: control-attack.js [--unix PATH] [--tcp HOST:PORT] [--slow N] [--burst N] [--burst-every-ms MS] [--line-every-ms MS] [--seconds S]\n');
    process.exit(2);
  }
  void Promise.all(targets.map((target) => attack({ ...o, target }))).then((all) => {
    for (const c of all) process.stdout.write(`${JSON.stringify(c)}\n`);
    process.exit(0);
  });
}
