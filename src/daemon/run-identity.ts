/**
 * Which daemon this is, when several run on one host: keepalived's `net_namespace` (or `-s`),
 * `instance` and `use_pid_dir` (core/main.c, core/pidfile.c), and what follows from them.
 *
 * - syslog ident `keepalived-ts_NAMESPACE_INSTANCE` (keepalived: `Keepalived_NAMESPACE_INSTANCE`);
 * - pidfiles in /run/keepalived/ named keepalived[_INSTANCE].pid, vrrp[_INSTANCE].pid and
 *   checkers[_INSTANCE].pid, unless -p / -r / -c name them. With a namespace keepalived
 *   bind-mounts /run/keepalived/NAMESPACE/ over /run/keepalived/ in its own mount namespace;
 *   here they are written to /run/keepalived/NAMESPACE/ directly, the same files seen from
 *   outside;
 * - keepalived-ts's own runtime files (control socket, the IPVS services it owns) under
 *   /run/keepalived-ts/NAMESPACE/ with the same _INSTANCE suffix, so that two daemons never
 *   share them.
 */

/** keepalived's KEEPALIVED_PID_DIR */
const PID_DIR = '/run/keepalived';
const RUNTIME_DIR = '/run/keepalived-ts';
export const DEFAULT_CONTROL_SOCKET = `${RUNTIME_DIR}/control.sock`;
/** the IPVS services the checker side created (kept across restarts, removed at stop) */
export const DEFAULT_IPVS_STATE = `${RUNTIME_DIR}/ipvs-services.json`;

/** The root-level keywords that decide it. */
export interface IdentityKeywords {
  readonly netNamespace?: string;
  readonly instance?: string;
  readonly usePidDir?: boolean;
}

export interface RunIdentity {
  readonly namespace?: string;
  readonly instance?: string;
  /** -s named another namespace than the configuration's (keepalived logs the override) */
  readonly overridden?: { readonly config: string; readonly command: string };
  /** syslog ident */
  readonly ident: string;
  /** default pidfiles when use_pid_dir applies, and the directories to make and remove */
  readonly pidFiles?: { readonly main: string; readonly vrrp: string; readonly checkers: string };
  readonly pidDirs: readonly string[];
  /** directories of keepalived-ts's own runtime files to remove at exit when empty */
  readonly runtimeDirs: readonly string[];
  readonly controlSocket: string;
  readonly ipvsState: string;
}

export function runIdentity(kw: IdentityKeywords, commandNamespace?: string): RunIdentity {
  const namespace = commandNamespace ?? kw.netNamespace;
  const instance = kw.instance;
  const sfx = instance !== undefined ? `_${instance}` : '';
  const usePidDir = kw.usePidDir === true || namespace !== undefined || instance !== undefined;
  const pidDir = namespace !== undefined ? `${PID_DIR}/${namespace}` : PID_DIR;
  const runDir = namespace !== undefined ? `${RUNTIME_DIR}/${namespace}` : RUNTIME_DIR;
  const plain = namespace === undefined && instance === undefined;
  return {
    ...(namespace !== undefined ? { namespace } : {}),
    ...(instance !== undefined ? { instance } : {}),
    ...(commandNamespace !== undefined && kw.netNamespace !== undefined && kw.netNamespace !== commandNamespace
      ? { overridden: { config: kw.netNamespace, command: commandNamespace } } : {}),
    ident: ['keepalived-ts', ...(namespace !== undefined ? [namespace] : []), ...(instance !== undefined ? [instance] : [])].join('_'),
    ...(usePidDir ? { pidFiles: { main: `${pidDir}/keepalived${sfx}.pid`, vrrp: `${pidDir}/vrrp${sfx}.pid`, checkers: `${pidDir}/checkers${sfx}.pid` } } : {}),
    pidDirs: usePidDir ? (namespace !== undefined ? [pidDir, PID_DIR] : [PID_DIR]) : [],
    runtimeDirs: namespace !== undefined ? [runDir] : [],
    controlSocket: plain ? DEFAULT_CONTROL_SOCKET : `${runDir}/control${sfx}.sock`,
    ipvsState: plain ? DEFAULT_IPVS_STATE : `${runDir}/ipvs-services${sfx}.json`,
  };
}
