// syslog lines as glibc's syslog(3) writes them to /dev/log (src/io/syslog.ts), and the
// background process's view of the command that started it (src/io/detach.ts).
import { describe, expect, it, vi } from 'vitest';
import { syslogText } from '../../../src/io/logger.js';
import { facilityCode, NO_LISTENER_PAUSE_MS, syslogDestination, syslogTime } from '../../../src/io/syslog.js';
import { fromCommandDir, takeDetached } from '../../../src/io/detach.js';

describe('syslog', () => {
  it('facilities as -S names them: 0-7 and local0-7 are LOG_LOCAL0-7, user, daemon (the default)', () => {
    expect(facilityCode(undefined)).toBe(3);
    expect(facilityCode('daemon')).toBe(3);
    expect(facilityCode('user')).toBe(1);
    expect(facilityCode('0')).toBe(16);
    expect(facilityCode('7')).toBe(23);
    expect(facilityCode('local3')).toBe(19);
    expect(() => facilityCode('local8')).toThrow(/facility/);
    expect(() => facilityCode('kern')).toThrow(/facility/);
  });

  it("glibc's time stamp: month name, day padded with a space, local time", () => {
    expect(syslogTime(new Date(2026, 11, 4, 9, 5, 7))).toBe('Dec  4 09:05:07');
    expect(syslogTime(new Date(2026, 0, 31, 23, 59, 0))).toBe('Jan 31 23:59:00');
  });

  it('one datagram per line: <facility*8+severity>, ident[pid], the readable text; a multi-line message line by line', () => {
    const sent: { path: string; text: string }[] = [];
    const d = syslogDestination({
      facility: facilityCode('local2'), ident: 'keepalived-ts', pid: 4242, path: '/run/test-log', text: syslogText,
      send: (path, data) => { sent.push({ path, text: data.toString() }); },
      now: () => new Date(2026, 11, 4, 22, 51, 7),
    });
    d.write(`${JSON.stringify({ level: 'info', time: 1, name: 'keepalived-ts', mod: 'vrrp', inst: 'VI_1', msg: '(VI_1) Entering MASTER STATE', prio: 150 })}\n`);
    d.write(`${JSON.stringify({ level: 'error', msg: 'bad keyword\n  priority 300\n  ^' })}\n${JSON.stringify({ level: 'fatal', msg: 'x' })}\n`);
    d.write('not json\n');
    expect(sent.map((s) => s.path)).toEqual(Array(6).fill('/run/test-log'));
    expect(sent.map((s) => s.text)).toEqual([
      '<150>Dec  4 22:51:07 keepalived-ts[4242]: [vrrp VI_1] (VI_1) Entering MASTER STATE prio=150',
      '<147>Dec  4 22:51:07 keepalived-ts[4242]: bad keyword',
      '<147>Dec  4 22:51:07 keepalived-ts[4242]:   priority 300',
      '<147>Dec  4 22:51:07 keepalived-ts[4242]:   ^',
      '<146>Dec  4 22:51:07 keepalived-ts[4242]: x',
      '<150>Dec  4 22:51:07 keepalived-ts[4242]: not json',
    ]);
  });

  it('a line the socket does not take is dropped and counted, and the next line is tried', () => {
    let drops = 0;
    let calls = 0;
    const d = syslogDestination({
      facility: 3, ident: 'k', text: syslogText, onDrop: () => { drops++; },
      send: () => {
        calls++;
        if (calls === 1) throw Object.assign(new Error('sendto EAGAIN'), { code: 'EAGAIN' });
      },
    });
    d.write(`${JSON.stringify({ level: 'info', msg: 'a' })}\n`);
    d.write(`${JSON.stringify({ level: 'info', msg: 'b' })}\n`);
    expect({ drops, calls }).toEqual({ drops: 1, calls: 2 });
  });

  it('nobody listening (no /dev/log): sending pauses, the lines meanwhile are counted without a send, then it tries again', () => {
    vi.useFakeTimers();
    try {
      let drops = 0;
      let calls = 0;
      let listening = false;
      const line = (msg: string): string => `${JSON.stringify({ level: 'info', msg })}\n`;
      const d = syslogDestination({
        facility: 3, ident: 'k', text: syslogText, onDrop: () => { drops++; },
        send: () => {
          calls++;
          if (!listening) throw Object.assign(new Error('sendto ENOENT'), { errnoCode: 'ENOENT' });
        },
      });
      d.write(line('first'));
      // a burst: 1,000 lines cost no system call while paused (each counted once, unread)
      for (let i = 0; i < 1000; i++) d.write(line(i % 2 ? 'a' : 'b\nc\nd'));
      expect({ drops, calls }).toEqual({ drops: 1001, calls: 1 });
      vi.advanceTimersByTime(NO_LISTENER_PAUSE_MS - 1);
      d.write(line('still paused'));
      expect(calls).toBe(1);
      vi.advanceTimersByTime(1);
      listening = true;
      d.write(line('again'));
      expect({ drops, calls }).toEqual({ drops: 1002, calls: 2 });
    } finally {
      vi.useRealTimers();
    }
  });
});

describe('the detached daemon', () => {
  it('takes the ready pipe and the command directory from its environment, and removes them', () => {
    const env: NodeJS.ProcessEnv = { KTS_READY_FD: '3', KTS_DETACHED_CWD: '/home/op', PATH: '/bin' };
    const d = takeDetached(env);
    expect(d).toEqual({ readyFd: 3, cwd: '/home/op' });
    expect(env).toEqual({ PATH: '/bin' });
    expect(fromCommandDir(d, 'k.conf')).toBe('/home/op/k.conf');
    expect(fromCommandDir(d, '/etc/k.conf')).toBe('/etc/k.conf');
    expect(fromCommandDir(undefined, 'k.conf')).toBe('k.conf');
  });

  it('a process started by hand (no such variables, or nonsense in them) is not detached', () => {
    expect(takeDetached({})).toBeUndefined();
    expect(takeDetached({ KTS_READY_FD: '1', KTS_DETACHED_CWD: '/' })).toBeUndefined();
    expect(takeDetached({ KTS_READY_FD: '3', KTS_DETACHED_CWD: 'relative' })).toBeUndefined();
  });
});
