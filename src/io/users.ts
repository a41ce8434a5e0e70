/**
 * Who a script runs as: user and group names -> uid/gid, read from /etc/passwd and /etc/group
 * (NSS sources such as LDAP are not consulted), and keepalived's choice of the default script
 * user (lib/notify.c `get_default_script_user`, `set_uid_gid`):
 *
 * - `script_user USER [GROUP]` in global_defs sets the default; GROUP defaults to USER's
 *   primary group.
 * - Otherwise the default is `keepalived_script` if that user exists, else the daemon's own
 *   uid/gid (root). With `enable_script_security` a missing `keepalived_script` is an error:
 *   scripts without their own user are refused.
 * - A script's own `USER [GROUP]` words override the default; an unknown name refuses the
 *   script ("Script user 'x' does not exist").
 * - The script runs with the group's gid as its only group (keepalived `setgroups(1, &gid)`;
 *   Node clears the supplementary groups and sets the gid).
 *
 * The files are read once, synchronously, when a `UserDb` is made (start-up / reload), never on
 * a script run.
 */
import { readFileSync } from 'node:fs';
import { err, ok, type Result } from '../util/result.js';

export interface UserEntry {
  readonly name: string;
  readonly uid: number;
  readonly gid: number;
}

/** The uid/gid a script runs with, and the names they came from (for logs). */
export interface ScriptCreds {
  readonly uid: number;
  readonly gid: number;
  readonly user: string;
  readonly group?: string;
}

export class UserDb {
  private constructor(
    private readonly users: ReadonlyMap<string, UserEntry>,
    private readonly groups: ReadonlyMap<string, number>,
  ) {}

  /** Parse passwd(5) / group(5) text. Malformed lines are skipped. */
  static parse(passwd: string, group: string): UserDb {
    const users = new Map<string, UserEntry>();
    for (const line of passwd.split('\n')) {
      const f = line.split(':');
      if (f.length < 4 || !f[0] || line.startsWith('#')) continue;
      const uid = Number(f[2]);
      const gid = Number(f[3]);
      if (!Number.isInteger(uid) || !Number.isInteger(gid) || f[2] === '' || f[3] === '') continue;
      if (!users.has(f[0])) users.set(f[0], { name: f[0], uid, gid });
    }
    const groups = new Map<string, number>();
    for (const line of group.split('\n')) {
      const f = line.split(':');
      if (f.length < 3 || !f[0] || line.startsWith('#') || f[2] === '') continue;
      const gid = Number(f[2]);
      if (Number.isInteger(gid) && !groups.has(f[0])) groups.set(f[0], gid);
    }
    return new UserDb(users, groups);
  }

  /** Read the host's files (missing files read as empty). */
  static load(passwdPath = '/etc/passwd', groupPath = '/etc/group'): UserDb {
    const read = (p: string) => {
      try {
        return readFileSync(p, 'utf8');
      } catch {
        return '';
      }
    };
    return UserDb.parse(read(passwdPath), read(groupPath));
  }

  user(name: string): UserEntry | undefined {
    return this.users.get(name);
  }

  group(name: string): number | undefined {
    return this.groups.get(name);
  }
}

/** A user name with an optional group name, as written in the configuration. */
export interface UserSpec {
  readonly user: string;
  readonly group?: string;
}

export interface ScriptUserOptions {
  /** global_defs `script_user`. */
  readonly scriptUser?: UserSpec;
  /** global_defs `enable_script_security`. */
  readonly enableScriptSecurity?: boolean;
  /** The daemon's own effective uid/gid (default: this process's). */
  readonly self?: { readonly uid: number; readonly gid: number };
}

/** Resolves the credentials of each script as keepalived does. */
export class ScriptUsers {
  readonly enableScriptSecurity: boolean;
  private readonly defaultCreds: Result<ScriptCreds, string>;

  constructor(
    readonly db: UserDb,
    opts: ScriptUserOptions = {},
  ) {
    this.enableScriptSecurity = opts.enableScriptSecurity ?? false;
    const self = opts.self ?? { uid: process.geteuid?.() ?? 0, gid: process.getegid?.() ?? 0 };
    if (opts.scriptUser) {
      this.defaultCreds = this.lookup(opts.scriptUser);
    } else {
      const ks = db.user('keepalived_script');
      if (ks) this.defaultCreds = ok({ uid: ks.uid, gid: ks.gid, user: ks.name });
      else if (this.enableScriptSecurity) this.defaultCreds = err('Unable to set default user keepalived_script for script');
      else this.defaultCreds = ok({ uid: self.uid, gid: self.gid, user: `#${self.uid}` });
    }
  }

  /** The host's users, with the given global settings. */
  static host(opts: ScriptUserOptions = {}): ScriptUsers {
    return new ScriptUsers(UserDb.load(), opts);
  }

  /** The default script user (script_user, else keepalived_script, else ourselves). */
  default(): Result<ScriptCreds, string> {
    return this.defaultCreds;
  }

  /** Credentials for a script with optional own user/group words. */
  resolve(spec: { readonly user?: string; readonly group?: string }): Result<ScriptCreds, string> {
    if (spec.user === undefined) return this.defaultCreds;
    return this.lookup({ user: spec.user, ...(spec.group !== undefined ? { group: spec.group } : {}) });
  }

  private lookup(spec: UserSpec): Result<ScriptCreds, string> {
    const u = this.db.user(spec.user);
    if (!u) return err(`Script user '${spec.user}' does not exist`);
    if (spec.group === undefined) return ok({ uid: u.uid, gid: u.gid, user: u.name });
    const gid = this.db.group(spec.group);
    if (gid === undefined) return err(`Script group '${spec.group}' does not exist`);
    return ok({ uid: u.uid, gid, user: u.name, group: spec.group });
  }
}
