/** The MachineView of this host: interfaces from /sys/class/net, users and groups from /etc/passwd and /etc/group, script files. */
import { accessSync, constants, lstatSync, readdirSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import type { MachineView } from './validate.js';

export function hostMachine(): MachineView {
  let ifaces: Set<string> | undefined;
  let users: Set<string> | undefined;
  let groups: Set<string> | undefined;
  const names = (file: string): Set<string> => new Set(safe(() => readFileSync(file, 'utf8'), '').split('\n').map((l) => l.split(':')[0]!).filter(Boolean));
  const interfaces = () => (ifaces ??= new Set(safe(() => readdirSync('/sys/class/net'), [] as string[])));
  return {
    interfaceExists: (name) => interfaces().has(name),
    isLoopback: (name) => safe(() => readFileSync(`/sys/class/net/${name}/type`, 'utf8').trim() === '772', false),
    userExists: (name) => (users ??= names('/etc/passwd')).has(name),
    groupExists: (name) => (groups ??= names('/etc/group')).has(name),
    scriptStatus: (cmd) => {
      const path = cmd.includes('/') ? cmd : findInPath(cmd);
      if (!path) return 'missing';
      let real: string;
      try {
        real = realpathSync(path);
        accessSync(real, constants.X_OK);
      } catch (e) {
        return (e as NodeJS.ErrnoException).code === 'EACCES' ? 'not-executable' : 'missing';
      }
      return insecurePath(path) || insecurePath(real) ? 'insecure' : 'ok';
    },
  };
}

function safe<T>(f: () => T, dflt: T): T {
  try {
    return f();
  } catch {
    return dflt;
  }
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
