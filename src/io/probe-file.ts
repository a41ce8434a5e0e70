/**
 * FILE_CHECK has no probe: the engine takes the value of a track_file (`fileValue` input).
 * This watches the track_files that FILE_CHECKs name, with track-file.ts's watcher (inotify on
 * the directory as keepalived, init_file), and reports every value.
 */
import type { Logger } from 'pino';
import type { KeepalivedConfig } from '../config/model.js';
import { TrackFileWatcher } from './track-file.js';

/** The track_file names FILE_CHECKs of `cfg` use. */
export function fileCheckNames(cfg: KeepalivedConfig): Set<string> {
  const names = new Set<string>();
  for (const vs of cfg.virtualServers) {
    for (const rs of vs.realServers) {
      for (const c of rs.checkers) if (c.type === 'FILE_CHECK' && c.trackFile !== undefined) names.add(c.trackFile);
    }
  }
  return names;
}

export interface FileCheckWatchers {
  /** resolves once every file has been read once (its value reported) */
  readonly ready: Promise<void>;
  stop(): void;
}

export function watchCheckFiles(cfg: KeepalivedConfig, log: Logger, onValue: (name: string, value: number) => void, reload = false): FileCheckWatchers {
  const names = fileCheckNames(cfg);
  const watchers = cfg.trackFiles.filter((t) => names.has(t.name)).map((trackFile) =>
    new TrackFileWatcher({ trackFile, log, onValue, reload }));
  const ready = Promise.all(watchers.map((w) => w.start())).then(() => undefined);
  return { ready, stop: () => { for (const w of watchers) w.stop(); } };
}
