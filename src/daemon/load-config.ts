/** Loading the configuration for a daemon (the VRRP side or the checker side). */
import type { Logger } from 'pino';
import { formatDiagnostic, isReported, severityOf } from '../config/diagnostics.js';
import { loadConfig, type LoadResult } from '../config/load.js';
import { hostMachine } from '../io/host-machine.js';
import type { KeepalivedConfig } from '../config/model.js';
import { KtsError } from '../errors/index.js';

let settingsFile: string | undefined;

/** keepalived-ts's settings file every load of this process reads after keepalived.conf (src/config/settings.ts). */
export function useSettingsFile(path: string | undefined): void {
  settingsFile = path;
}

export function currentSettingsFile(): string | undefined {
  return settingsFile;
}

/**
 * Loads and checks the configuration, logging its diagnostics; throws on what keepalived could not
 * run. `process`: -P or -C, only that process runs (LoadOptions.process).
 */
export function loadForDaemon(file: string, configId: string, log: Logger, process?: 'vrrp' | 'checker'): KeepalivedConfig {
  return loadChecked(file, log, { configId, ...(process ? { process } : {}) }).config;
}

/** A reading made before the process that runs it was set up: the configuration, or what it threw. */
export type EarlyReading = { readonly config: KeepalivedConfig } | { readonly error: unknown };

/** loadForDaemon, its failure kept for later (EarlyReading). */
export function readEarly(file: string, configId: string, log: Logger): EarlyReading {
  try {
    return { config: loadForDaemon(file, configId, log) };
  } catch (error) {
    return { error };
  }
}

/**
 * The whole daemon's VRRP process, at its start and at a reload: the file read as keepalived's
 * VRRP process reads it, the checker's blocks skipped unread (LoadOptions.vrrpReading); the
 * checker process reads and judges them itself. `checkerBlocks`: the file has a virtual_server
 * (the checker process is wanted).
 */
export function loadVrrpSide(file: string, configId: string, log: Logger): { config: KeepalivedConfig; checkerBlocks: boolean } {
  const r = loadChecked(file, log, { configId, vrrpReading: true });
  return { config: r.config, checkerBlocks: r.checkerBlocks === true };
}

function loadChecked(file: string, log: Logger, o: { configId: string; process?: 'vrrp' | 'checker'; vrrpReading?: boolean }): LoadResult {
  const result = loadConfig(file, {
    ...o, machine: hostMachine(), runtime: true, ...(settingsFile !== undefined ? { settingsFile } : {}),
  });
  for (const d of result.diagnostics.list) {
    if (!isReported(d)) {
      // keepalived's start-up lines (row notes such as a configuration fault): its words, no position
      if (d.atStart) log.info({ code: d.code, ...(d.row ? { row: d.row } : {}) }, d.message);
      continue;
    }
    const text = formatDiagnostic(d, result.sources);
    if (severityOf(d) === 'error') log.error({ code: d.code }, text);
    else log.warn({ code: d.code }, text);
  }
  const exit = result.diagnostics.configTestExitCode();
  // keepalived runs with warning-class problems, but not after a keyword without its value (2),
  // with FILE_NOT_FOUND / BAD_IF / FATAL (4) or a fatal include error (6). A SECURITY VIOLATION
  // (-t 6 too) it runs with, scripts and all, after its warning (docs/semantics.md,
  // row: global.script-security-violation).
  const securityOnly = exit === 6 && !result.diagnostics.list.some((d) => d.noConfig);
  if (exit === 2 || exit === 4 || (exit === 6 && !securityOnly)) {
    throw new KtsError('DAEMON_CONFIG', `${file}: configuration cannot be run (keepalived -t status ${exit})`);
  }
  // -t passes these with a warning class, but keepalived's VRRP process then exits ("permanent error CONFIG")
  if (result.diagnostics.cannotRun()) {
    throw new KtsError('DAEMON_CONFIG', `${file}: configuration cannot be run: keepalived would exit with a permanent configuration error`);
  }
  return result;
}

/**
 * What the VRRP process keeps of a loaded configuration: not the virtual servers, their groups
 * and the SSL block, which only the checker process runs (it reads the file itself). keepalived's
 * VRRP process does not hold them either: its checker keywords are inactive there.
 */
export function vrrpHalf(cfg: KeepalivedConfig): KeepalivedConfig {
  const { ssl: _ssl, ...rest } = cfg;
  return { ...rest, virtualServerGroups: [], virtualServers: [] };
}
