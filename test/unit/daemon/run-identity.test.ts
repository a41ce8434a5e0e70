// Which daemon this is (net_namespace / -s, instance, use_pid_dir): keepalived's pidfile names
// and syslog ident (core/main.c make_syslog_ident, core/pidfile.c make_pidfile_name), and
// keepalived-ts's own runtime files kept apart per namespace and instance.
import { describe, expect, it } from 'vitest';
import { DEFAULT_CONTROL_SOCKET, DEFAULT_IPVS_STATE, runIdentity } from '../../../src/daemon/run-identity.js';

describe('runIdentity', () => {
  it('plain: keepalived\'s /run pidfiles (none chosen here), the default runtime files', () => {
    const id = runIdentity({});
    expect(id).toEqual({ ident: 'keepalived-ts', pidDirs: [], runtimeDirs: [], controlSocket: DEFAULT_CONTROL_SOCKET, ipvsState: DEFAULT_IPVS_STATE });
  });

  it('use_pid_dir: /run/keepalived/keepalived.pid, vrrp.pid, checkers.pid', () => {
    expect(runIdentity({ usePidDir: true })).toMatchObject({
      ident: 'keepalived-ts',
      pidFiles: { main: '/run/keepalived/keepalived.pid', vrrp: '/run/keepalived/vrrp.pid', checkers: '/run/keepalived/checkers.pid' },
      pidDirs: ['/run/keepalived'], controlSocket: DEFAULT_CONTROL_SOCKET,
    });
  });

  it('instance: _INSTANCE in the pidfiles, the ident and the runtime files', () => {
    expect(runIdentity({ instance: 'blue' })).toMatchObject({
      instance: 'blue', ident: 'keepalived-ts_blue',
      pidFiles: { main: '/run/keepalived/keepalived_blue.pid', vrrp: '/run/keepalived/vrrp_blue.pid', checkers: '/run/keepalived/checkers_blue.pid' },
      controlSocket: '/run/keepalived-ts/control_blue.sock', ipvsState: '/run/keepalived-ts/ipvs-services_blue.json',
    });
  });

  it('namespace and instance: the namespace\'s directory, ident NAMESPACE_INSTANCE', () => {
    expect(runIdentity({ netNamespace: 'ns1', instance: 'blue' })).toMatchObject({
      namespace: 'ns1', ident: 'keepalived-ts_ns1_blue',
      pidFiles: { main: '/run/keepalived/ns1/keepalived_blue.pid' },
      pidDirs: ['/run/keepalived/ns1', '/run/keepalived'], runtimeDirs: ['/run/keepalived-ts/ns1'],
      controlSocket: '/run/keepalived-ts/ns1/control_blue.sock', ipvsState: '/run/keepalived-ts/ns1/ipvs-services_blue.json',
    });
  });

  it('-s wins over net_namespace, and the override is reported only when they differ', () => {
    expect(runIdentity({ netNamespace: 'a' }, 'b')).toMatchObject({ namespace: 'b', overridden: { config: 'a', command: 'b' } });
    expect(runIdentity({ netNamespace: 'a' }, 'a').overridden).toBeUndefined();
    expect(runIdentity({}, 'b')).toMatchObject({ namespace: 'b', ident: 'keepalived-ts_b' });
  });
});
