/**
 * FRR's bfdd (Debian's frr) in a lab host, on its own (no zebra): a router whose BFD sessions
 * the directors track. Run as user frr (its vty group), single hop, TTL 255, with its sockets,
 * pidfile and config in a private temp directory, logging to stdout, which is watched.
 */
import { spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { NetLab } from './netlab.js';
import { LineWatch } from './watch.js';

export const BFDD = '/usr/lib/frr/bfdd';

export interface BfddPeer {
  readonly address: string;
  readonly rxMs: number;
  readonly txMs: number;
  readonly multiplier: number;
}

export class Bfdd {
  readonly dir: string;
  readonly child: ChildProcess;
  readonly watch: LineWatch;

  constructor(lab: NetLab, host: string, peers: readonly BfddPeer[]) {
    this.dir = mkdtempSync(join(tmpdir(), `${lab.prefix}-bfdd-`));
    const conf = ['bfd', ...peers.flatMap((p) => [
      ` peer ${p.address}`, `  receive-interval ${p.rxMs}`, `  transmit-interval ${p.txMs}`, `  detect-multiplier ${p.multiplier}`, ' !',
    ]), '!', ''].join('\n');
    writeFileSync(join(this.dir, 'bfdd.conf'), conf);
    spawnSync('chown', ['-R', 'frr:frr', this.dir]);
    this.child = lab.spawn(host, BFDD, ['-f', join(this.dir, 'bfdd.conf'), '-i', join(this.dir, 'bfdd.pid'), '--vty_socket', this.dir,
      '-z', join(this.dir, 'zserv.api'), '--bfdctl', join(this.dir, 'bfdd.sock'), '-u', 'frr', '-g', 'frr', '--log', 'stdout']);
    this.watch = new LineWatch(this.child);
  }

  /** Resolves once bfdd says it started. */
  started(timeoutMs = 10_000): Promise<unknown> {
    return this.watch.waitFor(/bfdd [0-9.]+ starting/, timeoutMs);
  }

  stop(): void {
    this.child.kill('SIGKILL');
    rmSync(this.dir, { recursive: true, force: true });
  }
}
