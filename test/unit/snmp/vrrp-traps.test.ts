// keepalived 2.2.7's notifications (src/snmp/vrrp-traps.ts): which are sent for which MIBs and
// states, with which objects. The expected varbinds are those snmptrapd showed for keepalived
// -x with test/fixtures/snmp/walk-keepalived-2.2.7.conf (VI_1: VRRPv2, vrid 51, eth0 ifindex 3,
// 10.70.0.1; router_id rtr1).
import { describe, expect, it } from 'vitest';
import type { Varbind } from '../../../src/snmp/agentx.js';
import { dropTraps, groupTraps, instanceTraps, type TrapInstance, type TrapSettings } from '../../../src/snmp/vrrp-traps.js';

const ALL: TrapSettings = { traps: true, sel: { global: true, vrrp: true, rfcv2: true, rfcv3: true }, routerId: 'rtr1' };
const VI_1: TrapInstance = {
  name: 'VI_1', state: 'MASTER', initialState: 'BACKUP', version: 2, family: 'inet', vrid: 51, baseIfindex: 3, hasVips: true,
  sourceAddress: Uint8Array.of(10, 70, 0, 1), masterReason: 3,
};

/** snmptrapd -On's rendering, without sysUpTime.0 */
function shown(vbs: Varbind[]): string {
  return vbs.map((v) => {
    const x = v.value;
    const val = x.type === 'oid' ? `OID: .${x.value.join('.')}`
      : x.type === 'integer' ? `INTEGER: ${x.value}`
        : x.type === 'ipAddress' ? `IpAddress: ${Array.from(x.value).join('.')}`
          : x.type === 'octets' ? (Array.from(x.value).every((c) => c >= 0x20 && c < 0x7f) ? `STRING: "${new TextDecoder().decode(x.value)}"` : `Hex-STRING: ${Array.from(x.value).map((c) => c.toString(16).toUpperCase().padStart(2, '0')).join(' ')} `)
            : x.type;
    return `.${v.oid.join('.')} = ${val}`;
  }).join('\t');
}

describe('notifications of an instance', () => {
  it('MASTER: vrrpInstanceStateChange, vrrpTrapNewMaster, vrrpv3NotifyNewMaster, as keepalived sent them', () => {
    expect(instanceTraps(VI_1, ALL).map(shown)).toEqual([
      '.1.3.6.1.6.3.1.1.4.1.0 = OID: .1.3.6.1.4.1.9586.100.5.2.10.0.2\t.1.3.6.1.4.1.9586.100.5.2.3.1.2 = STRING: "VI_1"\t.1.3.6.1.4.1.9586.100.5.2.3.1.4 = INTEGER: 2\t.1.3.6.1.4.1.9586.100.5.2.3.1.5 = INTEGER: 1\t.1.3.6.1.4.1.9586.100.5.1.2.0 = STRING: "rtr1"',
      '.1.3.6.1.6.3.1.1.4.1.0 = OID: .1.3.6.1.2.1.68.0.1\t.1.3.6.1.2.1.68.1.3.1.7.3.51 = IpAddress: 10.70.0.1',
      '.1.3.6.1.6.3.1.1.4.1.0 = OID: .1.3.6.1.2.1.207.0.1\t.1.3.6.1.2.1.207.1.1.1.1.3.3.51.1 = Hex-STRING: 0A 46 00 01 \t.1.3.6.1.2.1.207.1.2.5.1.2.3.51.1 = INTEGER: 3',
    ]);
  });

  it.each([
    ['BACKUP', 1], ['FAULT', 3], ['STOP', 5], ['DELETED', 6], ['INIT', 0],
  ] as const)('%s: only the state change, state %i', (state, n) => {
    const t = instanceTraps({ ...VI_1, state }, ALL);
    expect(t).toHaveLength(1);
    expect(shown(t[0]!)).toContain(`.1.3.6.1.4.1.9586.100.5.2.3.1.4 = INTEGER: ${n}`);
  });

  it.each([
    ['enable_traps off: none', { ...ALL, traps: false }, VI_1, []],
    ['KEEPALIVED-MIB not served: the RFC ones only', { ...ALL, sel: { ...ALL.sel, vrrp: false } }, VI_1, ['1.3.6.1.2.1.68.0.1', '1.3.6.1.2.1.207.0.1']],
    ['VRRPv3: not in RFC 2787', ALL, { ...VI_1, version: 3 as const }, ['1.3.6.1.4.1.9586.100.5.2.10.0.2', '1.3.6.1.2.1.207.0.1']],
    ['IPv6: not in RFC 2787', ALL, { ...VI_1, family: 'inet6' as const, sourceAddress: new Uint8Array(16) }, ['1.3.6.1.4.1.9586.100.5.2.10.0.2', '1.3.6.1.2.1.207.0.1']],
    ['no VIPs: no new-master notifications', ALL, { ...VI_1, hasVips: false }, ['1.3.6.1.4.1.9586.100.5.2.10.0.2']],
  ])('%s', (_what, s, i, oids) => {
    const trapOids = instanceTraps(i, s).map((t) => (t[0]!.value as { value: number[] }).value.join('.'));
    expect(trapOids).toEqual(oids);
  });

  it('an IPv6 master\'s address and family index in vrrpv3NotifyNewMaster', () => {
    const src = Uint8Array.from([0xfe, 0x80, ...new Array<number>(13).fill(0), 1]);
    const t = instanceTraps({ ...VI_1, family: 'inet6', version: 3, sourceAddress: src }, ALL)[1]!;
    expect(t[1]!.oid.join('.')).toBe('1.3.6.1.2.1.207.1.1.1.1.3.3.51.2');
    expect(t[1]!.value).toEqual({ type: 'octets', value: src });
  });
});

describe('notifications of a sync group', () => {
  it('vrrpSyncGroupStateChange with the router id', () => {
    expect(groupTraps('G1', 'MASTER', ALL).map(shown)).toEqual([
      '.1.3.6.1.6.3.1.1.4.1.0 = OID: .1.3.6.1.4.1.9586.100.5.2.10.0.1\t.1.3.6.1.4.1.9586.100.5.2.1.1.2 = STRING: "G1"\t.1.3.6.1.4.1.9586.100.5.2.1.1.3 = INTEGER: 2\t.1.3.6.1.4.1.9586.100.5.1.2.0 = STRING: "rtr1"',
    ]);
    expect(groupTraps('G1', 'STOP', ALL).map(shown)[0]).toContain('.1.3.6.1.4.1.9586.100.5.2.1.1.3 = INTEGER: 5');
    expect(groupTraps('G1', 'MASTER', { ...ALL, sel: { ...ALL.sel, vrrp: false } })).toEqual([]);
    expect(groupTraps('G1', 'MASTER', { ...ALL, traps: false })).toEqual([]);
  });
});

describe('notifications of a dropped advert', () => {
  const inst = { version: 2 as const, family: 'inet' as const, vrid: 51, ifindex: 3, hasVips: true };
  const from = Uint8Array.of(10, 70, 0, 2);

  it('an authentication failure: RFC 2787 vrrpTrapAuthFailure with the source and the kind', () => {
    expect(dropTraps(inst, { reason: 'auth', authError: 2, src: from }, ALL).map(shown)).toEqual([
      '.1.3.6.1.6.3.1.1.4.1.0 = OID: .1.3.6.1.2.1.68.0.2\t.1.3.6.1.2.1.68.1.5.3.51 = IpAddress: 10.70.0.2\t.1.3.6.1.2.1.68.1.6.3.51 = INTEGER: 2',
    ]);
    // only for VRRPv2 IPv4 instances with a VIP, with the RFC 2787 MIB and traps on
    expect(dropTraps({ ...inst, version: 3 }, { reason: 'auth', authError: 2, src: from }, ALL)).toEqual([]);
    expect(dropTraps({ ...inst, hasVips: false }, { reason: 'auth', authError: 2, src: from }, ALL)).toEqual([]);
    expect(dropTraps(inst, { reason: 'auth', authError: 2, src: from }, { ...ALL, sel: { ...ALL.sel, rfcv2: false } })).toEqual([]);
    expect(dropTraps(inst, { reason: 'auth', authError: 2, src: from }, { ...ALL, traps: false })).toEqual([]);
  });

  it('a TTL, version or checksum error: RFC 6527 vrrpv3NotifyProtoError with the reason; other drops send none', () => {
    expect(dropTraps(inst, { reason: 'checksum', src: from }, ALL).map(shown)).toEqual([
      '.1.3.6.1.6.3.1.1.4.1.0 = OID: .1.3.6.1.2.1.207.0.2\t.1.3.6.1.2.1.207.1.2.5.1.6.3.51.1 = INTEGER: 3',
    ]);
    expect(['ttl', 'version'].map((reason) => dropTraps(inst, { reason }, ALL)[0]?.[1]?.value)).toEqual([{ type: 'integer', value: 1 }, { type: 'integer', value: 2 }]);
    for (const reason of ['short', 'vrid', 'interval', 'type', 'naddr', 'addr-mismatch', 'dst', 'src-not-peer']) expect(dropTraps(inst, { reason }, ALL)).toEqual([]);
  });
});
