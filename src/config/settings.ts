/**
 * keepalived-ts's own settings, outside keepalived.conf (issue 18): the keywords keepalived
 * 2.2.7 does not know (the metrics listener, the control socket, handover_on_stop, and the
 * dump-file keywords of later keepalived versions) go in a file of their own, by default
 * /etc/keepalived/keepalived-ts.conf, so that the same keepalived.conf passes `keepalived -t`
 * and a director rolls back to keepalived by swapping the package.
 *
 * The file is a list of these keywords, one per line, as they would be written in
 * global_defs (`metrics_listen 127.0.0.1 9650`); comments and includes as in keepalived.conf.
 * Read after keepalived.conf, its values win. In keepalived.conf they are still read, with
 * advice at `-t` that keepalived refuses that file.
 */
import type { Keyword, KeywordTable } from './parser.js';
import { lineLoc } from './line.js';
import { table } from './kw.js';

/** Where the settings are looked for when no --settings is given (absent: none). */
export const DEFAULT_SETTINGS_FILE = '/etc/keepalived/keepalived-ts.conf';

/** The global_defs keywords that keepalived 2.2.7 calls unknown. */
export const KTS_SETTINGS = [
  'metrics_listen', 'control_socket', 'handover_on_stop', 'state_dump_file', 'stats_dump_file', 'json_dump_file', 'json_version', 'v3_checksum_as_v2',
  'announce_table', 'announce_vip', 'announce_withdraw_delay', 'announce_daemon',
] as const;

/** The settings file's keywords, with global_defs's handlers. */
export function settingsTable<D extends object>(globalDefs: KeywordTable<D>): KeywordTable<D> {
  return table<D>(Object.fromEntries(KTS_SETTINGS.map((k) => [k, globalDefs.get(k)!])));
}

/**
 * global_defs with the settings that keepalived refuses wrapped: read as before, plus advice
 * that `keepalived -t` fails on this file ("Unknown keyword") and where the setting belongs.
 */
export function withRollbackAdvice<D extends object>(globalDefs: KeywordTable<D>): KeywordTable<D> {
  const out = new Map(globalDefs);
  for (const k of KTS_SETTINGS) {
    const kw = globalDefs.get(k)!;
    const wrapped: Keyword<D> = {
      ...kw,
      handler: (ctx, line, d) => {
        kw.handler?.(ctx, line, d);
        ctx.report('CONFIG_UNKNOWN_KEYWORD', 'OK', `'${k}' is a keepalived-ts setting: keepalived 2.2.7 refuses this file (unknown keyword); put it in ${DEFAULT_SETTINGS_FILE} (or --settings FILE) to keep keepalived.conf keepalived's`,
          lineLoc(line, 0));
      },
    };
    out.set(k, wrapped);
  }
  return out;
}
