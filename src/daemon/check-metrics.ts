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
 *
 * A scrape that a rendering under way would make wait past its deadline gets the last text
 * made instead, at once when the last rendering took longer than the scrape can wait, and says
 * how old it is (keepalived_ts_checker_servers_age_seconds): in the
 * guest bench the first scrape after every change of state came back without any of the
 * checker's series, and `keepalived_ts_checker_process_up 0` reads as the checker being gone.
 * Only a scrape before the first text is made gets nothing.
 */
import { checkCountersText, checkServersTextSliced, PromText } from '../control/metrics.js';
import type { CheckView } from './check-view.js';

export interface CheckMetricsSource {
  /** moves with every change of what the servers show (CheckDaemon.stateGeneration) */
  readonly stateGeneration: number;
  /** the servers' views, made in slices */
  viewSliced(pause: () => Promise<void>, expired: () => boolean): Promise<CheckView | undefined>;
  /** the counters' view, without the servers */
  counterView(): CheckView;
}

/**
 * How long before the scrape's deadline a waiting scrape takes the last text instead (at most
 * half of its wait): the answer still has to reach the VRRP process in time.
 */
export const STALE_ANSWER_MARGIN_MS = 250;

/** A rendering's text, the state generation it was made at, and when it was started (Date.now()). */
interface Made {
  readonly generation: number;
  readonly text: Buffer;
  readonly at: number;
  /** how long it took to make (ms) */
  readonly tookMs: number;
}

export class CheckMetrics {
  /** the text made at the current generation, while it stands */
  private kept: Made | undefined;
  /** the last text made, whatever has moved since */
  private last: Made | undefined;
  private rendering: Promise<Made> | undefined;
  /** renderings made, and those kept (tests) */
  readonly stats = { rendered: 0, kept: 0 };

  constructor(private readonly src: CheckMetricsSource, private readonly pause: () => Promise<void>) {}

  /**
   * The checker's metrics text in three pieces (its counters, the servers' series' age, the
   * servers' series), or undefined when `deadline` (Date.now()) passed first and no text was
   * made before. The servers' piece is kept as bytes: out of the V8 heap, and not encoded again
   * for each scrape.
   */
  async text(deadline: number): Promise<readonly Buffer[] | undefined> {
    const servers = await this.serversText(deadline);
    if (servers === undefined) return undefined;
    const age = servers.generation === this.src.stateGeneration ? 0 : Math.max(0, Date.now() - servers.at) / 1000;
    return [Buffer.from(checkCountersText(this.src.counterView())), Buffer.from(serversAgeText(age)), servers.text];
  }

  private async serversText(deadline: number): Promise<Made | undefined> {
    if (this.kept?.generation === this.src.stateGeneration) return this.kept;
    if (!this.rendering) {
      this.rendering = this.render().finally(() => {
        this.rendering = undefined;
      });
      // a failure reaches the scrapes that wait for it; one no scrape waits for is not a crash
      this.rendering.catch(() => undefined);
    }
    const now = Date.now();
    const last = this.last;
    // with a text to fall back on, stop waiting early enough for it to reach the asker, and do
    // not wait at all when the last rendering took longer than the time there is
    const stop = last ? deadline - Math.min(STALE_ANSWER_MARGIN_MS, (deadline - now) / 2) : deadline;
    if (now >= stop || (last && last.tookMs >= stop - now)) return last;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const late = new Promise<undefined>((resolve) => {
      timer = setTimeout(() => resolve(undefined), Math.max(0, stop - Date.now()));
    });
    try {
      return (await Promise.race([this.rendering, late])) ?? this.last;
    } finally {
      clearTimeout(timer);
    }
  }

  private async render(): Promise<Made> {
    const generation = this.src.stateGeneration;
    const at = Date.now();
    const view = await this.src.viewSliced(this.pause, () => false);
    const text = Buffer.from((view && await checkServersTextSliced(view, this.pause, () => false)) ?? '');
    this.stats.rendered++;
    const made: Made = { generation, text, at, tookMs: Date.now() - at };
    this.last = made;
    // kept only when nothing moved while it was made (its slices are then one moment's state)
    if (this.src.stateGeneration === generation) {
      this.kept = made;
      this.stats.kept++;
    } else {
      this.kept = undefined;
    }
    return made;
  }
}

/** The age of the servers' series in a scrape, as its own family (0: the current state). */
export function serversAgeText(ageS: number): string {
  return new PromText().gauge('keepalived_ts_checker_servers_age_seconds',
    'Age of the real servers\' series in this scrape: 0 when they show the current state, else the time since the state they show (it has changed, and its rendering was not done in time)',
    ageS).text();
}
