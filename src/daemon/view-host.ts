/**
 * The host facts of the VRRP view (view.ts `HostView`), read when a dump asks for them: the
 * namespace's interfaces and addresses as the daemon's link table holds them, the VRRP
 * sockets, scripts as the script runner would run them (PATH search, realpath, uid:gid), and
 * track files' values. The checker process's view has the last three (`scriptHost`).
 */
import { readFileSync } from 'node:fs';
import type { GlobalDefs } from '../config/model.js';
import { readInetConf, type InetConf } from '../io/rtnl-sysctl.js';
import { prepareScript, type ScriptSpec } from '../io/script-runner.js';
import { parseTrackFileValue, trackFilePath } from '../io/track-file.js';
import { ScriptUsers } from '../io/users.js';
import type { LinkTable } from './links.js';
import type { HostView, ResolvedScript, ScriptHost } from './view.js';
import type { VrrpSockets } from './vrrp-sockets.js';

const withConf = (c: InetConf | undefined): { inetConf?: InetConf } => (c ? { inetConf: c } : {});

export function hostView(links: LinkTable, sockets: VrrpSockets, g: GlobalDefs, extra: Pick<HostView, 'linkbeat' | 'bfdUp' | 'promoteSecondaries' | 'processStatus'> = {}): HostView {
  return {
    ...extra,
    links: () => links.all().map((l) => ({ ...l, ...withConf(readInetConf(l.link.name)) })),
    socket: (ifname, family, ah) => sockets.describe(ifname, family, ah),
    ...scriptHost(g),
  };
}

/** Scripts, script users and track files as this host has them (the checker process's host view). */
export function scriptHost(g: GlobalDefs): ScriptHost {
  let users: ScriptUsers | undefined;
  // /etc/passwd and /etc/group are read once per view, and only when a dump asks
  const scriptUsers = (): ScriptUsers => (users ??= ScriptUsers.host({
    enableScriptSecurity: g.enableScriptSecurity,
    ...(g.scriptUser ? { scriptUser: g.scriptUser } : {}),
  }));
  return {
    resolveScript: (script: ScriptSpec): ResolvedScript => {
      const p = prepareScript(script, { users: scriptUsers() });
      if (p.ok) return { argv: p.value.argv, uid: p.value.creds.uid, gid: p.value.creds.gid, refused: false };
      const creds = scriptUsers().resolve(script);
      return { argv: script.argv, uid: creds.ok ? creds.value.uid : 0, gid: creds.ok ? creds.value.gid : 0, refused: true };
    },
    trackFilePath: (path) => trackFilePath(path) ?? path,
    trackFileValue: (path) => {
      try {
        return parseTrackFileValue(readFileSync(path, 'utf8'));
      } catch {
        return undefined;
      }
    },
    defaultScriptUser: () => {
      const d = scriptUsers().default();
      return d.ok ? { uid: d.value.uid, gid: d.value.gid } : undefined;
    },
  };
}
