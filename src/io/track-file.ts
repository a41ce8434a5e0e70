/**
 * track_file: the integer in a file, reported at start and whenever it changes (keepalived
 * 2.2.7 trackers/track_file.c `process_track_file`, `process_inotify`, `init_track_files`,
 * `track_file_end_handler`).
 *
 * Reading, as keepalived: at most 127 bytes, parsed like C `strtol(buf, NULL, 0)` — leading
 * white space, a sign, `0x` hex, a leading `0` octal, and anything after the number ignored;
 * no digits, an empty file or a missing/unreadable file read as 0. A number outside
 * [-2^31, 2^31] is logged ("Invalid number ... - ignoring") and the previous value kept.
 * The engine applies weight/reverse (vrrp/track.ts `fileContribution`); this file only reports
 * the raw value, and only when it differs from the last one.
 *
 * Watching: the file's *directory* is watched, so replacing the file by rename, deleting it and
 * re-creating it are all seen (keepalived: inotify IN_CLOSE_WRITE|IN_DELETE|IN_MOVE on the
 * directory; a deleted or moved-away file counts as 0). Node's fs.watch has no IN_CLOSE_WRITE,
 * only "modified", so a read waits `settleMs` after the last event; `echo 5 > f` then never
 * shows the truncated empty file. A re-read every `pollMs` covers events fs.watch can miss
 * (and re-arms the watch if the directory came back).
 *
 * The path is resolved with realpath at start (a symlinked file is followed once, as keepalived
 * does); a directory that does not exist removes the tracker (TRACK_FILE).
 *
 * `init_file [VALUE] [overwrite]`: write `VALUE\n` (default 0) if the file does not exist; with
 * `overwrite` also over an existing regular file, except on reload. Written to a temporary
 * file and renamed into place, mode 0644.
 */
import { lstatSync, realpathSync, watch, type FSWatcher } from 'node:fs';
import { open, rename, stat, unlink, writeFile } from 'node:fs/promises';
import { constants } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { Logger } from 'pino';

export interface TrackFileSpec {
  readonly name: string;
  readonly file?: string;
  readonly initFile?: { readonly value: number; readonly overwrite: boolean };
}

export interface TrackFileWatcherOptions {
  /** config/model.ts `TrackFile` fits. */
  readonly trackFile: TrackFileSpec;
  readonly log: Logger;
  readonly onValue: (name: string, value: number) => void;
  /** A reload: init_file never overwrites then. */
  readonly reload?: boolean;
  readonly settleMs?: number;
  readonly pollMs?: number;
}

const INT32_MIN = -(2 ** 31);
const INT32_MAX_PLUS_1 = 2 ** 31;
const LONG_MAX = (1n << 63n) - 1n;

/**
 * C `strtol(text, NULL, 0)` on the first 127 bytes, with keepalived's range check:
 * the value, or undefined for a number keepalived ignores (overflow / out of range).
 */
export function parseTrackFileValue(text: string): number | undefined {
  const m = /^[ \t\n\v\f\r]*([+-]?)(0[xX][0-9a-fA-F]+|0[0-7]*|[1-9][0-9]*)?/.exec(text.slice(0, 127));
  const digits = m?.[2];
  if (!digits) return 0;
  let v: bigint;
  if (/^0[xX]/.test(digits)) v = BigInt(digits);
  else if (digits.length > 1 && digits[0] === '0') v = BigInt(`0o${digits.slice(1)}`);
  else v = BigInt(digits);
  if (v > LONG_MAX + (m![1] === '-' ? 1n : 0n)) return undefined; // strtol: ERANGE
  const n = Number(m![1] === '-' ? -v : v);
  return n < INT32_MIN || n > INT32_MAX_PLUS_1 ? undefined : n;
}

/** Read a track file as keepalived does: missing, unreadable or empty is 0. */
export async function readTrackFile(path: string): Promise<number | undefined> {
  let fh;
  try {
    fh = await open(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch {
    return 0;
  }
  try {
    const buf = Buffer.alloc(127);
    const { bytesRead } = await fh.read(buf, 0, 127, null);
    return bytesRead > 0 ? parseTrackFileValue(buf.subarray(0, bytesRead).toString('latin1')) : 0;
  } catch {
    return 0;
  } finally {
    await fh.close().catch(() => {});
  }
}

/** Apply `init_file`. Returns an error message, or undefined. */
export async function initTrackFile(path: string, init: { readonly value: number; readonly overwrite: boolean }, reload = false): Promise<string | undefined> {
  const st = await stat(path).catch(() => undefined);
  if (st) {
    if (!init.overwrite) return undefined;
    if (!st.isFile()) return `Cannot initialise track file ${path} - it is not a regular file`;
    if (reload) return undefined;
  }
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.${Math.random().toString(36).slice(2, 8)}`);
  try {
    await writeFile(tmp, `${init.value}\n`, { mode: 0o644, flag: 'wx' });
    await rename(tmp, path);
    return undefined;
  } catch (e) {
    await unlink(tmp).catch(() => {});
    return `Unable to initialise track file ${path}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`;
  }
}

export class TrackFileWatcher {
  readonly name: string;
  private path: string | undefined;
  private watcher: FSWatcher | undefined;
  private settleTimer: NodeJS.Timeout | undefined;
  private pollTimer: NodeJS.Timeout | undefined;
  private last: number | undefined;
  private reading = false;
  private again = false;
  private stopped = false;

  constructor(private readonly opts: TrackFileWatcherOptions) {
    this.name = opts.trackFile.name;
  }

  /** The last value reported (undefined before start). */
  get value(): number | undefined {
    return this.last;
  }

  /** Apply init_file, resolve the path, report the first value and start watching. False if removed. */
  async start(): Promise<boolean> {
    const { trackFile: tf, log } = this.opts;
    if (!tf.file) {
      log.error({ code: 'TRACK_FILE', trackFile: tf.name }, `No file set for track_file ${tf.name} - ignoring`);
      return false;
    }
    if (tf.initFile) {
      const e = await initTrackFile(tf.file, tf.initFile, this.opts.reload ?? false);
      if (e) log.error({ code: 'TRACK_FILE', trackFile: tf.name }, e);
    }
    const path = trackFilePath(tf.file);
    if (!path) {
      log.error({ code: 'TRACK_FILE', trackFile: tf.name, file: tf.file }, `Track file directory for ${tf.name} does not exist - removing`);
      return false;
    }
    this.path = path;
    this.armWatch();
    await this.read();
    if (this.last === undefined) this.report(0); // an out-of-range number at start: keepalived keeps 0
    this.pollTimer = setInterval(() => {
      if (!this.watcher) this.armWatch();
      void this.read();
    }, this.opts.pollMs ?? 5000);
    this.pollTimer.unref();
    return !this.stopped;
  }

  stop(): void {
    this.stopped = true;
    this.watcher?.close();
    this.watcher = undefined;
    clearTimeout(this.settleTimer);
    clearInterval(this.pollTimer);
  }

  private armWatch(): void {
    const path = this.path;
    if (!path || this.stopped) return;
    const file = basename(path);
    try {
      const w = watch(dirname(path), { persistent: false }, (_event, name) => {
        if (name === null || name === file) this.schedule();
      });
      w.on('error', () => {
        // the directory went away: fall back to polling until it is back
        w.close();
        if (this.watcher === w) this.watcher = undefined;
        this.schedule();
      });
      this.watcher = w;
    } catch {
      this.watcher = undefined;
    }
  }

  private schedule(): void {
    if (this.stopped) return;
    clearTimeout(this.settleTimer);
    this.settleTimer = setTimeout(() => void this.read(), this.opts.settleMs ?? 50);
  }

  private async read(): Promise<void> {
    if (this.reading) {
      this.again = true;
      return;
    }
    this.reading = true;
    try {
      do {
        this.again = false;
        const v = await readTrackFile(this.path!);
        if (this.stopped) return;
        if (v === undefined) this.opts.log.info({ trackFile: this.name, file: this.path }, `Invalid number read from ${this.path} - ignoring`);
        else this.report(v);
      } while (this.again);
    } finally {
      this.reading = false;
    }
  }

  private report(v: number): void {
    if (v === this.last) return;
    this.opts.log.debug({ trackFile: this.name, from: this.last, to: v }, 'track file value');
    this.last = v;
    this.opts.onValue(this.name, v);
  }
}

/**
 * keepalived init_track_files: realpath of the file, or of its directory if the file is missing;
 * undefined when neither resolves (the track file is removed). Synchronous: one lookup when the
 * tracker starts, and when a dump or the MIB shows the path.
 */
export function trackFilePath(file: string): string | undefined {
  try {
    return realpathSync(file);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') return undefined;
  }
  try {
    const dir = realpathSync(dirname(file));
    return lstatSync(dir).isDirectory() ? join(dir, basename(file)) : undefined;
  } catch {
    return undefined;
  }
}
