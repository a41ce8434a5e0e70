/**
 * keepalived's dump signals:
 *   USR1 (DATA)         state dump: keepalived.data (VRRP side), keepalived_check.data (checkers)
 *   USR2 (STATS)        keepalived.stats
 *   63 (STATS_CLEAR)    keepalived.stats, then the counters are zeroed
 *   36 (JSON)           keepalived.json (json_version 1, or 2 from global_defs)
 * The main process writes the VRRP side's files and passes USR1 on to the checker child,
 * which writes its own (keepalived's parent does the same with its children). The checker
 * process catches the other signals and ignores them, as keepalived's checker does (their
 * default action would end the process). Paths and writes: src/io/dump-file.ts; the text:
 * the pure formatters in src/dump/.
 */
import { hostname } from 'node:os';
import type { Logger } from 'pino';
import { dumpPath, writeDumpFile, type DumpKind, type DumpPathOverrides } from '../io/dump-file.js';
import { KEEPALIVED_SIGNALS, onSignal, type SignalName } from '../io/signals.js';
import type { CheckDumpView } from './check-view.js';
import type { DumpTime } from '../dump/common.js';
import type { VrrpView } from './view.js';

export interface DumpSignalOptions {
  readonly log: Logger;
  /** the VRRP side's view (main process) */
  readonly vrrp?: () => VrrpView;
  /** what the checker side's dump is written from (checker process) */
  readonly check?: () => CheckDumpView;
  /**
   * the checker process's global_defs dump paths (state_dump_file); without it the checker
   * writes to the default $TMPDIR/keepalived_check.data
   */
  readonly checkPaths?: () => DumpPathOverrides;
  /** pass a signal on to the checker child */
  readonly forward?: (signal: NodeJS.Signals | number) => void;
  /** environment ($TMPDIR) and clocks; tests replace them */
  readonly env?: NodeJS.ProcessEnv;
  readonly now?: () => DumpTime;
}

const HANDLED: readonly SignalName[] = ['DATA', 'STATS', 'STATS_CLEAR', 'JSON'];

/**
 * The formatters, loaded at the first dump: a daemon that is never asked for one does not
 * carry them (a third of the modules an idle VRRP daemon loaded).
 */
let formatters: Promise<Formatters> | undefined;
type Formatters = [typeof import('../dump/common.js'), typeof import('../dump/check.js'), typeof import('../dump/data.js'), typeof import('../dump/json.js'), typeof import('../dump/stats.js')];
const loadFormatters = (): Promise<Formatters> =>
  (formatters ??= Promise.all([import('../dump/common.js'), import('../dump/check.js'), import('../dump/data.js'), import('../dump/json.js'), import('../dump/stats.js')]));

/** What one signal does; returned for tests, which call it without a signal and wait for it. */
export function dumpHandler(o: DumpSignalOptions, name: SignalName): () => Promise<void> {
  const env = o.env ?? process.env;
  const now = o.now ?? ((): DumpTime => ({ wallMs: Date.now(), monoMs: performance.now() }));
  const write = (kind: DumpKind, paths: DumpPathOverrides, text: string): void => {
    const file = dumpPath(kind, paths, env);
    // the configuration is read byte for byte (as latin1): keepalived.data and keepalived.stats
    // give its words back as they were written, as keepalived does; the JSON dump is UTF-8
    const err = writeDumpFile(file, text, kind === 'json' ? 'utf8' : 'latin1');
    if (err) o.log.warn({ signal: name, file, err }, `Can't open dump file ${file}`);
    else o.log.info({ signal: name, file }, 'dump written');
  };
  return async () => {
    try {
      // the state is read when the signal comes, the formatters wait for nothing else
      const view = o.vrrp?.();
      const check = o.check && name === 'DATA' ? o.check() : undefined;
      const at = now();
      const [{ clearCounters }, { formatCheckData }, { formatData }, { formatJson }, { formatStats }] = await loadFormatters();
      if (view) {
        const paths = view.config.globalDefs;
        if (name === 'DATA') write('data', paths, formatData(view, at, hostname()));
        else if (name === 'STATS' || name === 'STATS_CLEAR') {
          write('stats', paths, formatStats(view));
          if (name === 'STATS_CLEAR') for (const iv of view.instances) clearCounters(iv.live.stats);
        } else if (name === 'JSON' && view.instances.length) {
          // keepalived writes no JSON file without VRRP instances
          write('json', paths, formatJson(view, paths.jsonVersion ?? 1));
        }
      }
      if (check) write('checkData', o.checkPaths?.() ?? {}, formatCheckData(check, at, hostname()));
    } catch (e) {
      o.log.error({ signal: name, err: (e as Error).message }, 'dump failed');
    }
    if (name === 'DATA') o.forward?.(KEEPALIVED_SIGNALS.DATA);
  };
}

export function installDumpSignals(o: DumpSignalOptions): void {
  for (const name of HANDLED) {
    const num = KEEPALIVED_SIGNALS[name];
    const handler = dumpHandler(o, name);
    const r = onSignal(num, () => void handler());
    if (r.error) o.log.warn({ signal: name, err: r.error }, 'cannot catch signal');
  }
}
