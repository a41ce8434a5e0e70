/**
 * `net_namespace NAME` and `-s NAME`: the whole daemon runs in the network namespace
 * /run/netns/NAME (the one `ip netns add NAME` makes), as keepalived's does (core/namespaces.c).
 *
 * keepalived calls setns() before it starts anything. A Node process cannot: setns() moves
 * only the calling thread, and V8's and libuv's threads are running before the first line of
 * JavaScript. So the command enters the namespace in its main thread and executes itself
 * again at once (same pid, arguments, environment and working directory): every thread of the
 * new program starts inside. The same step gives it a mount namespace of its own (mounts
 * no longer propagate back, as keepalived's) with /sys mounted again, so that
 * /sys/class/net lists the namespace's interfaces (as `ip netns exec` does). A process that
 * is already in the namespace (the re-executed one, its background half, the checker child,
 * scripts, or a daemon started under `ip netns exec`) sees the same namespace inode and goes on.
 */
import { statSync } from 'node:fs';
import { loadNative } from './native.js';

/** keepalived's RUNSTATEDIR "/netns/" */
export const NETNS_DIR = '/run/netns';

export function netnsPath(name: string): string {
  return `${NETNS_DIR}/${name}`;
}

export type NetnsState = 'inside' | 'outside' | 'missing';

/** Is this process in namespace `name` already, elsewhere, or is there no such namespace? */
export function netnsState(name: string): NetnsState {
  let target;
  try {
    target = statSync(netnsPath(name));
  } catch {
    return 'missing';
  }
  // a namespace file that is not a namespace (a plain file left in /run/netns) cannot be entered
  if (target.isDirectory()) return 'missing';
  try {
    const self = statSync('/proc/self/ns/net');
    return self.ino === target.ino && self.dev === target.dev ? 'inside' : 'outside';
  } catch {
    return 'outside';
  }
}

/**
 * Enters namespace `name` and runs this program again there: returns only by throwing (the
 * caller must then exit, its main thread may be half-way in).
 */
export function execInNetns(name: string, script: string, args: readonly string[], env: NodeJS.ProcessEnv = process.env): never {
  const argv = [process.execPath, ...process.execArgv, script, ...args];
  const envp = Object.entries(env).filter(([, v]) => v !== undefined).map(([k, v]) => `${k}=${v}`);
  return loadNative().execInNetns(netnsPath(name), name, process.execPath, argv, envp);
}
