/**
 * Where the dump signals write, and the write itself.
 *
 * Paths, as keepalived: the directory is $TMPDIR when it is an absolute path, else /tmp
 * (keepalived set_tmp_dir). The global_defs `state_dump_file` / `stats_dump_file` /
 * `json_dump_file` override a default name (keepalived >= 2.3 open_dump_file): an absolute
 * path gives the directory, a path ending in `/` keeps the default file name, a relative path
 * is a file name in the temp directory. The checker process's state dump is the state dump's
 * name with `_check` before its extension (keepalived.data -> keepalived_check.data).
 *
 * Writes: mode 0600 (keepalived runs with umask 0177), to a temp name in the same directory
 * and then renamed, so a reader (keepalived-exporter polls the file after its signal) sees
 * the old file or the new one, never half of one.
 */
import { closeSync, fsyncSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

export type DumpKind = 'data' | 'checkData' | 'stats' | 'json';

const DEFAULT_NAMES: Record<DumpKind, string> = {
  data: 'keepalived.data', checkData: 'keepalived.data', stats: 'keepalived.stats', json: 'keepalived.json',
};

export interface DumpPathOverrides {
  readonly stateDumpFile?: string;
  readonly statsDumpFile?: string;
  readonly jsonDumpFile?: string;
}

/** keepalived's temp directory: $TMPDIR if absolute, else /tmp. */
export function dumpDir(env: NodeJS.ProcessEnv = process.env): string {
  const t = env['TMPDIR'];
  return t !== undefined && t.startsWith('/') ? t.replace(/(.)\/+$/, '$1') : '/tmp';
}

/** The file a dump of `kind` goes to. */
export function dumpPath(kind: DumpKind, o: DumpPathOverrides = {}, env: NodeJS.ProcessEnv = process.env): string {
  const override = kind === 'stats' ? o.statsDumpFile : kind === 'json' ? o.jsonDumpFile : o.stateDumpFile;
  let dir = dumpDir(env);
  let name = DEFAULT_NAMES[kind];
  if (override !== undefined && override !== '') {
    if (override.startsWith('/')) dir = override.endsWith('/') ? override.replace(/\/+$/, '') || '/' : dirname(override);
    if (!override.endsWith('/')) name = basename(override);
  }
  if (kind === 'checkData') {
    const dot = name.lastIndexOf('.');
    name = dot > 0 ? `${name.slice(0, dot)}_check${name.slice(dot)}` : `${name}_check`;
  }
  return join(dir, name);
}

/**
 * Write `text` to `path`, mode 0600, replacing it in one rename. Returns an error message
 * instead of throwing (a dump that cannot be written is logged, never fatal).
 */
export function writeDumpFile(path: string, text: string, encoding: 'utf8' | 'latin1' = 'utf8'): string | undefined {
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.tmp`);
  let fd: number | undefined;
  try {
    // a stale temp file from a crash would keep its old mode: start from a new one
    rmSync(tmp, { force: true });
    fd = openSync(tmp, 'wx', 0o600);
    const buf = Buffer.from(text, encoding);
    let off = 0;
    while (off < buf.length) off += writeSync(fd, buf, off, buf.length - off);
    fsyncSync(fd);
    closeSync(fd);
    fd = undefined;
    renameSync(tmp, path);
    return undefined;
  } catch (e) {
    if (fd !== undefined) {
      try { closeSync(fd); } catch { /* already failing */ }
    }
    rmSync(tmp, { force: true });
    return (e as Error).message;
  }
}
