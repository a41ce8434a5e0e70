/**
 * The MachineView of this host, the port through which the configuration compiler (src/config,
 * which reads no system state itself) learns the facts it checks: interfaces from
 * /sys/class/net (a VRF device: isVrfSysfs), users and groups from /etc/passwd and /etc/group, script files, the CPUs
 * and the host name.
 */
import { accessSync, constants, existsSync, lstatSync, readdirSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { cpus, hostname } from 'node:os';
import type { MachineView, ScriptRunAs } from '../config/validate.js';
import { lookupName } from '../netlink/names.js';
import { rtTablesSync } from './rtnl-names.js';

export function hostMachine(): MachineView {
  let ifaces: Set<string> | undefined;
  let users: Set<string> | undefined;
  let groups: Set<string> | undefined;
  let ids: { users: Map<string, readonly [number, number]>; groups: Map<string, number> } | undefined;
  const names = (file: string): Set<string> => new Set(safe(() => readFileSync(file, 'utf8'), '').split('\n').map((l) => l.split(':')[0]!).filter(Boolean));
  /** uid and gid a script runs with (a user's primary group unless a group is named); undefined: unknown name */
  const runIds = (runAs: ScriptRunAs): { uid: number; gid: number } | undefined => {
    ids ??= { users: idTable('/etc/passwd', (f) => [Number(f[2]), Number(f[3])] as const), groups: idTable('/etc/group', (f) => Number(f[2])) };
    const u = ids.users.get(runAs.user);
    const gid = runAs.group === undefined ? u?.[1] : ids.groups.get(runAs.group);
    return u && gid !== undefined ? { uid: u[0], gid } : undefined;
  };
  const interfaces = () => (ifaces ??= new Set(safe(() => readdirSync('/sys/class/net'), [] as string[])));
  const resolved = new Map<string, string | null>();
  // keepalived resolves with getaddrinfo when it reads the name; `getent ahosts` does the same
  // lookup (files, then DNS) synchronously, which the configuration compiler needs: its first
  // address is getaddrinfo's first answer, the one keepalived keeps
  const lookup = (host: string): string | undefined => {
    let known = resolved.get(host);
    if (known === undefined) {
      // loaded here: node:child_process brings net and dgram with it, some 10 ms of every `-t`
      // whose configuration names no host
      const r = process.getBuiltinModule('node:child_process').spawnSync('getent', ['ahosts', host], { encoding: 'utf8', timeout: 10_000 });
      known = r.status === 0 ? (r.stdout.split(/\s+/)[0] || null) : null;
      resolved.set(host, known);
    }
    return known ?? undefined;
  };
  return {
    interfaceExists: (name) => interfaces().has(name),
    isLoopback: (name) => safe(() => readFileSync(`/sys/class/net/${name}/type`, 'utf8').trim() === '772', false),
    isVrf: (name) => safe(() => isVrfSysfs(readFileSync(`/sys/class/net/${name}/type`, 'utf8'), readFileSync(`/sys/class/net/${name}/flags`, 'utf8'), existsSync(`/sys/class/net/${name}/bonding`)), false),
    // lib/rttables.c find_entry: a number (up to 2^32-1), else a known name
    rtTableId: (name) => lookupName(rtTablesSync(), name, 0xffffffff),
    linkKind: (name) => safe(() => ({
      hwType: Number(readFileSync(`/sys/class/net/${name}/type`, 'utf8').trim()),
      multicast: (Number(readFileSync(`/sys/class/net/${name}/flags`, 'utf8').trim()) & IFF_MULTICAST) !== 0,
    }), undefined),
    resolvable: (host) => lookup(host) !== undefined,
    resolve: (host) => lookup(host),
    // keepalived: _SC_NPROCESSORS_ONLN, the machine's CPUs, not this process's affinity (a
    // daemon pinned by vrrp_cpu_affinity reads the file again on reload)
    cpuCount: () => cpus().length,
    writable: (path) => safe(() => (accessSync(path, constants.W_OK), true), false),
    hostname: () => hostname(),
    userExists: (name) => (users ??= names('/etc/passwd')).has(name),
    groupExists: (name) => (groups ??= names('/etc/group')).has(name),
    scriptStatus: (cmd, runAs) => {
      const path = cmd.includes('/') ? cmd : findInPath(cmd);
      if (!path) return 'missing';
      let real: string;
      try {
        real = realpathSync(path);
        accessSync(real, constants.X_OK);
      } catch (e) {
        return (e as NodeJS.ErrnoException).code === 'EACCES' ? 'not-executable' : 'missing';
      }
      if (!insecurePath(path) && !insecurePath(real)) return 'ok';
      // keepalived (check_script_secure) checks the path only of a script run with root
      // privileges; another user's script runs whatever its path
      const as = runAs && runIds(runAs);
      return as && !runsAsRoot(real, as.uid, as.gid) ? 'ok' : 'insecure';
    },
  };
}

const ARPHRD_ETHER = 1;
const IFF_NOARP = 0x80;
const IFF_MASTER = 0x400;
const IFF_MULTICAST = 0x1000;

/**
 * Whether a link is a VRF device by what sysfs shows of it (sysfs names no link kind; the
 * daemon reads the kind from rtnetlink): the kernel's vrf driver makes an Ethernet-type master
 * without ARP (IFF_MASTER | IFF_NOARP); a bond is a master too, with a `bonding` directory.
 */
export function isVrfSysfs(type: string, flags: string, bonding: boolean): boolean {
  const f = Number(flags.trim());
  return Number(type.trim()) === ARPHRD_ETHER && (f & (IFF_MASTER | IFF_NOARP)) === (IFF_MASTER | IFF_NOARP) && !bonding;
}

function safe<T>(f: () => T, dflt: T): T {
  try {
    return f();
  } catch {
    return dflt;
  }
}

function idTable<T>(file: string, value: (fields: string[]) => T): Map<string, T> {
  const out = new Map<string, T>();
  for (const line of safe(() => readFileSync(file, 'utf8'), '').split('\n')) {
    const f = line.split(':');
    if (f[0] && f.length >= 3 && !out.has(f[0])) out.set(f[0], value(f));
  }
  return out;
}

/** keepalived's need_script_protection: uid or gid 0, or a set-uid / set-gid root file. */
function runsAsRoot(file: string, uid: number, gid: number): boolean {
  if (uid === 0 || gid === 0) return true;
  const st = safe(() => statSync(file), undefined);
  return !st || (st.uid === 0 && (st.mode & 0o4100) === 0o4100) || (st.gid === 0 && (st.mode & 0o2010) === 0o2010);
}

function findInPath(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? '/usr/bin:/bin').split(delimiter)) {
    const p = join(dir, name);
    if (safe(() => statSync(p).isFile(), false)) return p;
  }
  return undefined;
}

/** keepalived's check_security: every component owned by root and not group/world writable. */
function insecurePath(path: string): boolean {
  const parts = path.split('/').filter(Boolean);
  let cur = '';
  for (let i = 0; i <= parts.length; i++) {
    cur = i === 0 ? '/' : `${cur === '/' ? '' : cur}/${parts[i - 1]}`;
    const st = safe(() => lstatSync(cur), undefined);
    if (!st) return false;
    const dirNoSticky = st.isDirectory() && (st.mode & 0o1000) === 0;
    if (st.uid !== 0) return true;
    if ((dirNoSticky || st.isFile()) && ((st.gid !== 0 && st.mode & 0o020) || st.mode & 0o002)) return true;
  }
  return false;
}
