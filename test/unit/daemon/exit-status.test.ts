// The daemon's start-up failures map onto keepalived's exit statuses.
import { describe, expect, it } from 'vitest';
import { KtsError } from '../../../src/errors/index.js';
import { exitStatus } from '../../../src/daemon/main.js';

describe('exit statuses', () => {
  it('a configuration that cannot run is 2, a missing interface too', () => {
    expect(exitStatus(new KtsError('DAEMON_CONFIG', 'x'))).toBe(2);
    expect(exitStatus(new KtsError('DAEMON_INTERFACE', '(VI_1) interface eth9 does not exist'))).toBe(2);
  });
  it('a missing permission is 4', () => {
    const eperm = Object.assign(new Error('socket: Operation not permitted'), { code: 'EPERM' });
    expect(exitStatus(new KtsError('DAEMON_SOCKET', 'open VRRP socket on eth0: Operation not permitted', { cause: eperm }))).toBe(4);
  });
  it('anything else, an already running daemon included, is 1', () => {
    expect(exitStatus(new KtsError('DAEMON_PIDFILE', '/run/keepalived.pid: daemon is already running as pid 1'))).toBe(1);
    expect(exitStatus(new Error('boom'))).toBe(1);
  });
});

describe('reloads one at a time', () => {
  it('HUPs during a reload fold into one more reload; none after stop', async () => {
    const { serialised } = await import('../../../src/daemon/main.js');
    let runs = 0;
    let release: (() => void) | undefined;
    let stopped = false;
    const hup = serialised(() => {
      runs++;
      return new Promise<void>((r) => { release = r; });
    }, () => stopped);
    hup();
    hup();
    hup();
    hup();
    expect(runs).toBe(1);
    release!();
    await new Promise((r) => setImmediate(r));
    expect(runs).toBe(2);
    stopped = true;
    hup();
    release!();
    await new Promise((r) => setImmediate(r));
    expect(runs).toBe(2);
  });
});
