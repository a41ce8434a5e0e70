/**
 * The checker process's answer to a metrics scrape (the VRRP process asks for it over IPC and
 * waits one second).
 *
 * The servers' series (up, in the table, weights, quorum) change only when the checker's state
 * generation moves; the counters move with every probe. The servers' text is kept with the
 * generation it was made at and given again while nothing has changed, with fresh counters.
 * Made in slices (probes and signals go on between them), it took 3.6-3.8 s at 5,000 real
 * servers in the guest bench, where the checker shares one slow CPU, and no scrape ever had it
 * (bench/RESULTS.md, checkers). A rendering the scrape stopped waiting for therefore runs to
 * its end, for the next scrape; one runs at a time, shared by the scrapes that wait for it (a
 * scrape that comes while one runs gets its text, made from the state at its start).
 */
import { checkCountersText, checkServersTextSliced } from '../control/metrics.js';
import type { CheckView } from './check-view.js';

export interface CheckMetricsSource {
  /** moves with every change of what the servers show (CheckDaemon.stateGeneration) */
  readonly stateGeneration: number;
  /** the servers' views, made in slices */
  viewSliced(pause: () => Promise<void>, expired: () => boolean): Promise<CheckView | undefined>;
  /** the counters' view, without the servers */
  counterView(): CheckView;
}

export class CheckMetrics {
  private kept: { readonly generation: number; readonly text: Buffer } | undefined;
  private rendering: Promise<Buffer> | undefined;
  /** renderings made, and those kept (tests) */
  readonly stats = { rendered: 0, kept: 0 };

  constructor(private readonly src: CheckMetricsSource, private readonly pause: () => Promise<void>) {}

  /**
   * The checker's metrics text in two pieces (its counters, then the servers' series), or
   * undefined when `deadline` (Date.now()) passed first. The servers' piece is kept as bytes:
   * out of the V8 heap, and not encoded again for each scrape.
   */
  async text(deadline: number): Promise<readonly Buffer[] | undefined> {
    const servers = await this.serversText(deadline);
    return servers === undefined ? undefined : [Buffer.from(checkCountersText(this.src.counterView())), servers];
  }

  private async serversText(deadline: number): Promise<Buffer | undefined> {
    if (this.kept?.generation === this.src.stateGeneration) return this.kept.text;
    if (!this.rendering) {
      this.rendering = this.render().finally(() => {
        this.rendering = undefined;
      });
      // a failure reaches the scrapes that wait for it; one no scrape waits for is not a crash
      this.rendering.catch(() => undefined);
    }
    if (Date.now() >= deadline) return undefined;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const late = new Promise<undefined>((resolve) => {
      timer = setTimeout(() => resolve(undefined), Math.max(0, deadline - Date.now()));
    });
    try {
      return await Promise.race([this.rendering, late]);
    } finally {
      clearTimeout(timer);
    }
  }

  private async render(): Promise<Buffer> {
    const generation = this.src.stateGeneration;
    const view = await this.src.viewSliced(this.pause, () => false);
    const text = Buffer.from((view && await checkServersTextSliced(view, this.pause, () => false)) ?? '');
    this.stats.rendered++;
    // kept only when nothing moved while it was made (its slices are then one moment's state)
    if (this.src.stateGeneration === generation) {
      this.kept = { generation, text };
      this.stats.kept++;
    } else {
      this.kept = undefined;
    }
    return text;
  }
}
