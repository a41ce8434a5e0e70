import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { nativeAvailable } from '../../../src/io/native.js';
import { SdNotifier, watchdogInterval } from '../../../src/io/sd-notify.js';

function fake(env: NodeJS.ProcessEnv, pid = 4242): { n: SdNotifier; sent: [string, string][] } {
  const sent: [string, string][] = [];
  const n = new SdNotifier({ env, pid, send: (s, m) => { sent.push([s, m]); }, monotonicUsec: () => 123456789n });
  return { n, sent };
}

describe('SdNotifier', () => {
  afterEach(() => { vi.useRealTimers(); });

  it('sends keepalived\'s messages (READY with MAINPID, RELOADING, STOPPING) and STATUS lines', () => {
    const { n, sent } = fake({ NOTIFY_SOCKET: '/run/systemd/notify' });
    n.ready();
    n.reloading();
    n.reloaded('reload refused: configuration error');
    n.status('2 instances\nMASTER');
    n.stopping();
    n.close();
    expect(sent).toEqual([
      ['/run/systemd/notify', 'READY=1\nMAINPID=4242\nSTATUS=Running'],
      ['/run/systemd/notify', 'RELOADING=1\nMONOTONIC_USEC=123456789\nSTATUS=Reloading configuration'],
      ['/run/systemd/notify', 'READY=1\nSTATUS=reload refused: configuration error'],
      ['/run/systemd/notify', 'STATUS=2 instances MASTER'],
      ['/run/systemd/notify', 'STOPPING=1\nSTATUS=Stopping'],
    ]);
  });

  it('is a no-op without NOTIFY_SOCKET (or with one that is neither a path nor @abstract)', () => {
    for (const env of [{}, { NOTIFY_SOCKET: '' }, { NOTIFY_SOCKET: 'relative' }]) {
      const { n, sent } = fake({ ...env, WATCHDOG_USEC: '1000000' });
      n.ready();
      n.reloading();
      n.stopping();
      expect(n.enabled).toBe(false);
      expect(n.watchdogIntervalMs).toBeUndefined();
      expect(sent).toEqual([]);
    }
  });

  it('watchdog: WATCHDOG=1 at start-up and every WATCHDOG_USEC/2, only when WATCHDOG_PID is unset or ours', () => {
    vi.useFakeTimers();
    const { n, sent } = fake({ NOTIFY_SOCKET: '@sd', WATCHDOG_USEC: '1000000' });
    expect(n.watchdogIntervalMs).toBe(500);
    vi.advanceTimersByTime(2000);
    expect(sent).toEqual([]); // nothing before READY
    n.ready();
    vi.advanceTimersByTime(1600);
    expect(sent.filter(([, m]) => m === 'WATCHDOG=1')).toHaveLength(1 + 3);
    n.close();
    vi.advanceTimersByTime(5000);
    expect(sent.filter(([, m]) => m === 'WATCHDOG=1')).toHaveLength(4);
    expect(watchdogInterval({ WATCHDOG_USEC: '1000000', WATCHDOG_PID: '4242' }, 4242)).toBe(500);
    expect(watchdogInterval({ WATCHDOG_USEC: '1000000', WATCHDOG_PID: '1' }, 4242)).toBeUndefined();
    expect(watchdogInterval({ WATCHDOG_USEC: 'x' }, 4242)).toBeUndefined();
    expect(watchdogInterval({ WATCHDOG_USEC: '0' }, 4242)).toBeUndefined();
    expect(watchdogInterval({}, 4242)).toBeUndefined();
  });

  it('unsetEnvironment removes the variables (children never see them) after reading them', () => {
    const env: NodeJS.ProcessEnv = { NOTIFY_SOCKET: '/x', WATCHDOG_USEC: '2000000', WATCHDOG_PID: '7', KEEP: '1' };
    const n = new SdNotifier({ env, pid: 7, unsetEnvironment: true, send: () => undefined });
    expect(n.socket).toBe('/x');
    expect(n.watchdogIntervalMs).toBe(1000);
    expect(env).toEqual({ KEEP: '1' });
  });

  it('reports the first failed send once and carries on', () => {
    const errors: string[] = [];
    const n = new SdNotifier({
      env: { NOTIFY_SOCKET: '/nowhere' }, send: () => { throw new Error('sendto ENOENT'); }, onError: (e) => errors.push(e.message),
    });
    n.ready();
    n.stopping();
    expect(errors).toEqual(['sendto ENOENT']);
  });
});

describe.skipIf(!nativeAvailable())('SdNotifier over a real abstract AF_UNIX socket (native send)', () => {
  it('a python3 receiver gets READY=1 with our pid', async () => {
    const name = `kts-sdn-${randomBytes(4).toString('hex')}`;
    const py = spawn('python3', ['-c', [
      'import socket,sys',
      's=socket.socket(socket.AF_UNIX,socket.SOCK_DGRAM)',
      `s.bind("\\0${name}")`,
      'print("bound",flush=True)',
      's.settimeout(10)',
      'print(s.recv(4096).decode().replace("\\n","|"),flush=True)',
    ].join('\n')], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    py.stdout.setEncoding('utf8');
    const bound = new Promise<void>((resolve) => py.stdout.on('data', (c: string) => { out += c; if (out.includes('bound')) resolve(); }));
    const done = new Promise<void>((resolve) => py.on('exit', () => resolve()));
    try {
      await bound;
      new SdNotifier({ env: { NOTIFY_SOCKET: `@${name}` } }).ready();
      await done;
      expect(out.trim().split('\n')[1]).toBe(`READY=1|MAINPID=${process.pid}|STATUS=Running`);
    } finally {
      py.kill('SIGKILL');
    }
  });
});
