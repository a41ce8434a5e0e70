// Unsafe script permissions as keepalived 2.2.7 judges them (lib/notify.c check_script_secure):
// the path of a script is checked only when it runs with root privileges (uid or gid 0, or a
// set-uid / set-gid root file). With a non-root script_user an unsafe script runs, with no
// message (measured: keepalived 2.2.7 in a namespace, script_user nobody, a script in a 0777
// directory, ran it every second and said nothing), so keepalived-ts must not log "disabling
// ... unsafe permissions" for it either. The validation on a fake machine, and the host
// machine's scriptStatus on real files.
import { chmodSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/load.js';
import { hostMachine } from '../../../src/io/host-machine.js';
import type { ScriptRunAs } from '../../../src/config/validate.js';
import { prepareScript } from '../../../src/io/script-runner.js';
import { ScriptUsers, UserDb } from '../../../src/io/users.js';
import { fakeMachine } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'kts-script-security-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const conf = (globals: string, body: string): string => {
  const file = join(dir, `k${Math.random().toString(36).slice(2)}.conf`);
  writeFileSync(file, `global_defs {\n  enable_script_security\n${globals}}\n${body}vrrp_instance VI_1 {\n  interface eth0\n  virtual_router_id 51\n  priority 100\n  advert_int 1\n  virtual_ipaddress {\n    10.0.0.1/24\n  }\n  notify_master /opt/unsafe/notify.sh\n${body.includes('vrrp_script chk') ? '  track_script {\n    chk\n  }\n' : ''}}\n`);
  return file;
};

/** Every script's path is unsafe; the fake says 'insecure' unless it runs as a non-root user and group. */
function run(globals: string, body = '') {
  const asked: (ScriptRunAs | undefined)[] = [];
  const machine = fakeMachine({
    scriptStatus: (_p, runAs) => {
      asked.push(runAs);
      return runAs && runAs.user !== 'root' && runAs.group !== 'root' ? 'ok' : 'insecure';
    },
  });
  const r = loadConfig(conf(globals, body), { configId: 'lb1', machine });
  const unsafe = r.diagnostics.list.filter((d) => d.code === 'CONFIG_SECURITY').map((d) => d.message);
  return { unsafe, asked };
}

describe('unsafe script permissions (validation)', () => {
  it('a script run as root is disabled; as a non-root script_user it runs, and nothing is said', () => {
    expect(run('  script_user root\n').unsafe).toEqual(["disabling VI_1 notifyMaster: unsafe permissions for script '/opt/unsafe/notify.sh'"]);
    const nobody = run('  script_user nobody\n');
    expect(nobody.unsafe).toEqual([]);
    expect(nobody.asked).toEqual([{ user: 'nobody' }]);
  });

  it('the group counts: script_user nobody root runs with gid 0', () => {
    const r = run('  script_user nobody root\n');
    expect(r.asked).toEqual([{ user: 'nobody', group: 'root' }]);
    expect(r.unsafe).toHaveLength(1);
  });

  it('a vrrp_script runs as its `user` keyword', () => {
    const track = 'vrrp_script chk {\n  script "/opt/unsafe/chk.sh"\n  interval 1\n  user nobody\n}\n';
    const r = run('  script_user root\n', track);
    expect(r.asked[0]).toEqual({ user: 'nobody' });
    expect(r.unsafe).toEqual(["disabling VI_1 notifyMaster: unsafe permissions for script '/opt/unsafe/notify.sh'"]);
  });
});

describe('hostMachine().scriptStatus with the user a script runs as', () => {
  // a directory anyone may write to (no sticky bit): every script under it is unsafe
  const open = join(dir, 'open');
  mkdirSync(open);
  chmodSync(open, 0o777);
  const script = join(open, 'chk.sh');
  writeFileSync(script, '#!/bin/sh\nexit 0\n');
  chmodSync(script, 0o755);
  const m = hostMachine();

  it('unsafe for root (or with no user given), fine for an unprivileged user and group', () => {
    expect(m.scriptStatus(script)).toBe('insecure');
    expect(m.scriptStatus(script, { user: 'root' })).toBe('insecure');
    expect(m.scriptStatus(script, { user: 'nobody', group: 'root' })).toBe('insecure');
    expect(m.scriptStatus(script, { user: 'nobody' })).toBe('ok');
    expect(m.scriptStatus(script, { user: 'nobody', group: 'nogroup' })).toBe('ok');
    // a user the machine does not know: judged as root would be
    expect(m.scriptStatus(script, { user: 'no-such-user-kts' })).toBe('insecure');
  });

  it('the daemon agrees: it refuses to run the script as root (SCRIPT_REFUSED) and runs it as nobody', () => {
    const db = UserDb.load();
    const prepare = (user: string) => prepareScript({ argv: [script] }, { users: new ScriptUsers(db, { enableScriptSecurity: true, scriptUser: { user } }), machine: m });
    expect(prepare('root')).toMatchObject({ ok: false, error: { kind: 'insecure' } });
    expect(prepare('nobody')).toMatchObject({ ok: true, value: { argv: [script], creds: { user: 'nobody' } } });
  });

  it('a set-uid root program reached through an unsafe path is unsafe for any user', () => {
    const link = join(open, 'su');
    symlinkSync('/usr/bin/su', link); // -rwsr-xr-x root (Debian's util-linux)
    expect(m.scriptStatus(link, { user: 'nobody' })).toBe('insecure');
  });
});
