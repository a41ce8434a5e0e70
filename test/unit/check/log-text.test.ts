// The check core's log events are data; checkLogText words them as keepalived 2.2.7 does
// (ipwrapper.c, check_*.c). The engine tests read most lines back through it; these are the
// events they do not reach, and the line a DNS_CHECK does not log.
import { afterAll, describe, expect, it } from 'vitest';
import { checkLogText } from '../../../src/check/log-text.js';
import type { CheckLogEvent } from '../../../src/check/types.js';
import { Bench, rs, tmp, vs } from './harness.js';

// the harness's configurations are files in a temporary directory of this test file's
afterAll(() => tmp.cleanup());

const names = { rs: '[10.0.1.1]:tcp:80', vs: '[10.0.0.1]:tcp:80' };

describe('checkLogText', () => {
  it.each<[CheckLogEvent, string | undefined]>([
    [{ event: 'checkerSuspend', suspended: true, ...names }, 'Suspending healthchecker for service [10.0.1.1]:tcp:80 for VS [10.0.0.1]:tcp:80'],
    [{ event: 'checkerSuspend', suspended: false, ...names }, 'Activating healthchecker for service [10.0.1.1]:tcp:80 for VS [10.0.0.1]:tcp:80'],
    [{ event: 'sorryServer', active: true, inhibit: true, sorry: '[10.0.2.2]:tcp:80', vs: names.vs }, 'Enabling sorry server [10.0.2.2]:tcp:80 to VS [10.0.0.1]:tcp:80'],
    [{ event: 'sorryServer', active: false, inhibit: true, sorry: '[10.0.2.2]:tcp:80', vs: names.vs }, 'Disabling sorry server [10.0.2.2]:tcp:80 from VS [10.0.0.1]:tcp:80'],
    [{ event: 'shutdown', inhibited: true, ...names }, 'Shutting down (inhibited) service [10.0.1.1]:tcp:80 from VS [10.0.0.1]:tcp:80'],
    [{ event: 'bfd', name: 'b1', up: false, rs: names.rs }, 'BFD check of [b1] RS([10.0.1.1]:tcp:80) is DOWN'],
    [{ event: 'probe', outcome: 'up', checker: 'DNS_CHECK', ...names, result: { ok: true }, retry: 3, retryIt: 0, hasRun: true }, undefined],
    [{ event: 'probe', outcome: 'down', checker: 'PING_CHECK', ...names, result: { ok: false }, retry: 2, retryIt: 2, hasRun: true },
      'ICMP CHECK on service [10.0.1.1]:tcp:80 of [10.0.0.1]:tcp:80 failed after 2 retries.'],
  ])('%j', (event, text) => {
    expect(checkLogText(event)).toBe(text);
  });

  it('the engine emits events with the servers named, not lines', () => {
    const b = Bench.of(vs(rs('10.0.1.1', 'TCP_CHECK {\n    }')));
    b.start();
    const logs = b.effects.filter((e) => e.type === 'log');
    expect(logs).toContainEqual({ type: 'log', event: { event: 'checkerStart', suspended: false, rs: '[10.0.1.1]:tcp:80', vs: '[10.0.0.1]:tcp:80' } });
    expect(logs.every((e) => !('msg' in e))).toBe(true);
  });
});
