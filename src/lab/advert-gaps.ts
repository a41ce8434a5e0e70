/**
 * The longest silence of each router's adverts, measured on the wire: tcpdump on the lab's
 * bridge (kernel timestamps), per source address and VRID, from `start()` on. A gap above the
 * advert interval is an advert that left late; three intervals and the skew make a backup
 * take over. Used by the benchmarks (reload soak, reliability).
 */
import type { ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import type { NetLab } from './netlab.js';

export interface AdvertGap {
  /** milliseconds between two adverts of one VRID from one source */
  readonly gap: number;
  readonly vrid: number;
}

export class AdvertGaps {
  private readonly last = new Map<string, number>();
  private readonly max = new Map<string, AdvertGap>();
  private counting = false;
  private readonly child: ChildProcess;

  /** `ignore`: VRIDs whose silences are expected (an instance a test removes and adds back). */
  constructor(lab: NetLab, private readonly ignore: (vrid: number) => boolean = () => false) {
    this.child = lab.spawnSwitch('tcpdump', ['-i', 'br0', '-n', '-tt', '-l', 'ip proto 112']);
    createInterface({ input: this.child.stdout! }).on('line', (line) => this.line(line));
  }

  private line(line: string): void {
    const m = /^(\d+\.\d+) IP (\d+\.\d+\.\d+\.\d+) > .*vrid (\d+)/.exec(line);
    if (!m) return;
    const t = Number(m[1]) * 1000;
    const vrid = Number(m[3]);
    const key = `${m[2]} ${vrid}`;
    const prev = this.last.get(key);
    this.last.set(key, t);
    if (!this.counting || prev === undefined || this.ignore(vrid)) return;
    const cur = this.max.get(m[2]!);
    if (!cur || t - prev > cur.gap) this.max.set(m[2]!, { gap: t - prev, vrid });
  }

  /** Count from now on (forgetting what was counted before). */
  start(): void {
    this.max.clear();
    this.counting = true;
  }

  /** The longest gap of the adverts sent from `src` since `start()`. */
  of(src: string): AdvertGap | undefined {
    return this.max.get(src);
  }

  stop(): void {
    this.child.kill();
  }
}
