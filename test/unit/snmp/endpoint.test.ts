// keepalived's snmp_socket / -A in net-snmp's transport syntax (src/snmp/endpoint.ts).
import { describe, expect, it } from 'vitest';
import { parseAgentxSocket } from '../../../src/snmp/endpoint.js';

describe('AgentX socket', () => {
  it.each([
    [undefined, { kind: 'unix', path: '/var/agentx/master' }],
    ['unix:/run/agentx.sock', { kind: 'unix', path: '/run/agentx.sock' }],
    ['/run/agentx.sock', { kind: 'unix', path: '/run/agentx.sock' }],
    ['tcp:localhost:705', { kind: 'tcp', host: 'localhost', port: 705 }],
    ['tcp:127.0.0.1', { kind: 'tcp', host: '127.0.0.1', port: 705 }],
    ['localhost:7050', { kind: 'tcp', host: 'localhost', port: 7050 }],
    ['tcp6:[::1]:705', { kind: 'tcp', host: '::1', port: 705 }],
  ])('%s', (spec, want) => {
    expect(parseAgentxSocket(spec)).toEqual({ ok: true, value: want });
  });

  it.each([
    ['udp:127.0.0.1:705', /transport 'udp'/],
    ['unix:', /no path/],
    ['tcp:localhost:70000', /port out of range/],
    ['tcp:a:b:c', /cannot read/],
  ])('%s is refused: %s', (spec, why) => {
    const r = parseAgentxSocket(spec);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).toMatch(why);
  });
});
