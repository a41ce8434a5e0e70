// The VRRP process's MIB objects (src/snmp/vrrp-mib.ts) against what keepalived 2.2.7 served
// for the same configuration and state: test/fixtures/snmp/walk-keepalived-2.2.7.txt is
// `snmpwalk -v2c -On` of 1.3.6.1.4.1.9586, 1.3.6.1.2.1.68 and 1.3.6.1.2.1.207 with
// `keepalived -x` running walk-keepalived-2.2.7.conf (both instances MASTER, eth0 ifindex 3,
// 10.70.0.1/24, MAC 86:3b:d5:cc:19:3e), snmpd 5.9.3 as AgentX master.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { compareOid, parseOid, type Varbind } from '../../../src/snmp/agentx.js';
import { buildMib, mibRegions, type SnmpInstance, type SnmpSnapshot } from '../../../src/snmp/vrrp-mib.js';

const MAC = Uint8Array.of(0x86, 0x3b, 0xd5, 0xcc, 0x19, 0x3e);
const ETH0 = Uint8Array.of(10, 70, 0, 1);
const v4 = (s: string): Uint8Array => Uint8Array.from(s.split('.').map(Number));
const addr = (a: string, prefix: number) => ({ family: 'inet' as const, address: v4(a), prefix, scope: 0, ifindex: 3, ifname: 'eth0', set: true });
const stats = { becomeMaster: 1, advertRcvd: 0, advertIntervalErr: 0, authFailure: 0, ipTtlErr: 0, priZeroRcvd: 0, priZeroSent: 0, invalidTypeRcvd: 0, addrListErr: 0, invalidAuthtype: 0, authtypeMismatch: 0, packetLenErr: 0, chkErr: 0, versErr: 0, vridErr: 0, masterReason: 3, protoErrReason: 0 };

const base: Omit<SnmpInstance, 'name' | 'vrid' | 'version' | 'basePriority' | 'effectivePriority' | 'vips' | 'evips' | 'adverIntMs'> = {
  family: 'inet', state: 'MASTER', initialState: 'BACKUP', wantState: 'MASTER', vipSet: true, ifname: 'eth0', ifindex: 3, baseIfindex: 3,
  hwAddr: MAC, primaryAddress: ETH0, trackPrimaryIf: false, nopreempt: false, preemptDelayMs: 0, authType: 0, garpDelayMs: 5000,
  smtpAlert: false, notifyExec: false, scripts: {}, accept: true, promoteSecondaries: false, linkbeatPolling: false, notifyDeleted: false,
  mcastGroup: v4('224.0.0.18'), trackedInterfaces: [], trackedScripts: [], trackedFiles: [], trackedBfds: [], trackedProcesses: [], routes: [], rules: [], stats, upSinceMs: 1000,
};

export const ORACLE_SNAPSHOT: SnmpSnapshot = {
  globals: {
    version: 'Keepalived v2.2.7 (01/16,2022)', routerId: 'rtr1', smtpTimeoutS: 0, emails: [], emailFaults: true, traps: true,
    linkbeatPolling: false, lvsFlush: false, dynamicInterfaces: false,
  },
  groups: [{ name: 'G1', state: 'MASTER', members: ['VI_1'], smtpAlert: false, notifyExec: false, scripts: {}, trackingWeight: false, trackedInterfaces: [], trackedScripts: [], trackedFiles: [], trackedBfds: [], trackedProcesses: [] }],
  instances: [
    { ...base, name: 'VI_1', vrid: 51, version: 2, basePriority: 150, effectivePriority: 150, adverIntMs: 1000, syncGroup: 'G1',
      vips: [addr('10.70.0.100', 24), addr('10.70.0.101', 32)], evips: [addr('10.70.0.102', 32)] },
    { ...base, name: 'VI_2', vrid: 52, version: 3, basePriority: 100, effectivePriority: 100, adverIntMs: 1000, vips: [addr('10.70.0.110', 24)], evips: [] },
  ],
  scripts: [],
  files: [],
  bfds: [],
  processes: [],
  staticAddresses: [],
  staticRoutes: [],
  staticRules: [],
  nowMs: 7000,
  agentStartMs: 900,
};

/** snmpwalk's -On rendering of a varbind (the types keepalived's MIBs use). */
function walkLine(v: Varbind): string {
  const x = v.value;
  const val = ((): string => {
    switch (x.type) {
      case 'integer': return `INTEGER: ${x.value}`;
      case 'gauge32': return `Gauge32: ${x.value}`;
      case 'counter32': return `Counter32: ${x.value}`;
      case 'counter64': return `Counter64: ${x.value}`;
      case 'timeTicks': return `Timeticks: (${x.value})`;
      case 'ipAddress': return `IpAddress: ${Array.from(x.value).join('.')}`;
      case 'octets': {
        if (x.value.length === 0) return '""';
        const printable = Array.from(x.value).every((c) => c >= 0x20 && c < 0x7f);
        return printable ? `STRING: "${new TextDecoder().decode(x.value)}"` : `Hex-STRING: ${Array.from(x.value).map((c) => c.toString(16).toUpperCase().padStart(2, '0')).join(' ')} `;
      }
      default: return x.type;
    }
  })();
  return `.${v.oid.join('.')} = ${val}`;
}

/** Times differ from run to run; the rest must not. */
const comparable = (l: string): string => l.replace(/Timeticks: \((\d+)\).*$/, 'Timeticks: (T)');

describe('the MIB view of keepalived 2.2.7\'s walk', () => {
  // three walks, one per MIB: in OID order as one view
  const oracle = readFileSync('test/fixtures/snmp/walk-keepalived-2.2.7.txt', 'utf8').split('\n').filter(Boolean).map(comparable)
    .sort((a, b) => compareOid(parseOid(a.split(' = ')[0]!), parseOid(b.split(' = ')[0]!)));
  const ours = buildMib(ORACLE_SNAPSHOT, { global: true, vrrp: true, rfcv2: true, rfcv3: true }).map(walkLine).map(comparable);

  it('has the same OIDs in the same order', () => {
    expect(ours.map((l) => l.split(' = ')[0])).toEqual(oracle.map((l) => l.split(' = ')[0]));
  });

  it('has the same values but for one deliberate difference', () => {
    const diff = ours.map((l, i) => [l, oracle[i]]).filter(([a, b]) => a !== b);
    // keepalived 2.2.7 shows vrrpAddressIsAdvertised false for every VIP after the first
    // instance's (its iterator never sets the flag back after an instance's excluded addresses)
    expect(diff).toEqual([['.1.3.6.1.4.1.9586.100.5.2.6.1.11.2.1 = INTEGER: 1', '.1.3.6.1.4.1.9586.100.5.2.6.1.11.2.1 = INTEGER: 2']]);
  });
});

describe('columns keepalived leaves out when their value is unset', () => {
  const one = (i: Partial<SnmpInstance>, sel = { global: false, vrrp: true, rfcv2: true, rfcv3: true }): string[] =>
    buildMib({ ...ORACLE_SNAPSHOT, groups: [], instances: [{ ...ORACLE_SNAPSHOT.instances[0]!, ...i }] }, sel).map(walkLine);
  const has = (lines: string[], prefix: string): boolean => lines.some((l) => l.startsWith(`${prefix} `) || l.startsWith(`${prefix}.`));
  const I = '.1.3.6.1.4.1.9586.100.5.2.3.1';

  it.each([
    // [what, change, column, present]
    ['no sync group', { syncGroup: undefined }, `${I}.18`, false],
    ['a master script', { scripts: { master: "'/bin/true'" } }, `${I}.22.1`, true],
    ['no master script', {}, `${I}.22`, false],
    ['unicast: no multicast group', { mcastGroup: undefined }, `${I}.35`, false],
    ['LVS sync daemon interface', { lvsSyncInterface: 'eth1' }, `${I}.17.1`, true],
  ] as const)('%s', (_what, change, column, present) => {
    expect(has(one(change as Partial<SnmpInstance>), column)).toBe(present);
  });

  it.each([
    ['a VRRPv3 instance is not in RFC 2787', { version: 3 as const }, '.1.3.6.1.2.1.68.1.3.1.3.3.51', false],
    ['an IPv6 instance is not in RFC 2787', { family: 'inet6' as const }, '.1.3.6.1.2.1.68.1.3.1.3.3.51', false],
    ['an instance without VIPs is in neither RFC MIB', { vips: [] }, '.1.3.6.1.2.1.207.1.1.1.1.6.3.51.1', false],
    ['a VRRPv2 instance is in RFC 6527 (Debian builds with _SNMP_REPLY_V3_FOR_V2_)', {}, '.1.3.6.1.2.1.207.1.1.1.1.6.3.51.1', true],
  ])('%s', (_what, change, oid, present) => {
    expect(has(one(change), oid)).toBe(present);
  });

  it('a BACKUP shows the master it heard in both RFC MIBs; a MASTER its own address in RFC 6527', () => {
    const b = one({ state: 'BACKUP', masterAddress: v4('10.70.0.2') });
    expect(b).toContain('.1.3.6.1.2.1.68.1.3.1.7.3.51 = IpAddress: 10.70.0.2');
    expect(b).toContain('.1.3.6.1.2.1.207.1.1.1.1.3.3.51.1 = Hex-STRING: 0A 46 00 02 ');
    expect(b).toContain('.1.3.6.1.2.1.68.1.3.1.3.3.51 = INTEGER: 2');
    expect(one({ masterAddress: v4('10.70.0.2') })).toContain('.1.3.6.1.2.1.207.1.1.1.1.3.3.51.1 = Hex-STRING: 0A 46 00 01 ');
  });

  it.each([
    ['INIT', 0, 1], ['BACKUP', 1, 2], ['MASTER', 2, 3], ['FAULT', 3, 1], ['STOP', 4, 1],
  ] as const)('state %s: KEEPALIVED-MIB %i, RFC %i', (state, ka, rfc) => {
    const lines = one({ state });
    expect(lines).toContain(`${I}.4.1 = INTEGER: ${ka}`);
    expect(lines).toContain(`.1.3.6.1.2.1.68.1.3.1.3.3.51 = INTEGER: ${rfc}`);
  });

  it('tracked files show the track_file\'s own weight; the file table its last value; sync group tracking by group', () => {
    const lines = buildMib({
      ...ORACLE_SNAPSHOT,
      instances: [{ ...ORACLE_SNAPSHOT.instances[0]!, trackedFiles: [{ name: 'tf1', weight: -2, reverse: false }] }],
      groups: [{ ...ORACLE_SNAPSHOT.groups[0]!, trackedInterfaces: [{ name: 'eth1', weight: 0, reverse: false }], trackedScripts: [{ name: 'chk', weight: 0, reverse: false }], trackedFiles: [{ name: 'tf2', weight: 0, reverse: true }] }],
      files: [{ name: 'tf1', path: '/run/tf1', value: 5, weight: -2, reverse: false }],
    }, { global: false, vrrp: true, rfcv2: false, rfcv3: false }).map(walkLine);
    const K = '.1.3.6.1.4.1.9586.100.5.2';
    expect(lines.filter((l) => /\.100\.5\.2\.1[2-6]\./.test(l))).toEqual([
      `${K}.12.1.2.1.1 = STRING: "tf1"`, `${K}.12.1.3.1.1 = INTEGER: -2`, `${K}.12.1.4.1.1 = INTEGER: 2`,
      `${K}.13.1.2.1 = STRING: "tf1"`, `${K}.13.1.3.1 = STRING: "/run/tf1"`, `${K}.13.1.4.1 = INTEGER: 5`, `${K}.13.1.5.1 = INTEGER: -2`, `${K}.13.1.6.1 = INTEGER: 2`,
      `${K}.14.1.1.1.1 = STRING: "eth1"`, `${K}.14.1.2.1.1 = INTEGER: 0`, `${K}.14.1.3.1.1 = INTEGER: 2`,
      `${K}.15.1.2.1.1 = STRING: "chk"`, `${K}.15.1.3.1.1 = INTEGER: 0`, `${K}.15.1.4.1.1 = INTEGER: 2`,
      `${K}.16.1.2.1.1 = STRING: "tf2"`, `${K}.16.1.3.1.1 = INTEGER: 0`, `${K}.16.1.4.1.1 = INTEGER: 1`,
    ]);
  });

  it('static addresses are vrrpAddressTable rows 0.N, never advertised', () => {
    const lines = buildMib({ ...ORACLE_SNAPSHOT, staticAddresses: [{ ...addr('10.70.0.201', 24), set: false, label: 'eth0:st' }] }, { global: false, vrrp: true, rfcv2: false, rfcv3: false }).map(walkLine);
    const K = '.1.3.6.1.4.1.9586.100.5.2.6.1';
    expect(lines.filter((l) => l.includes('.100.5.2.6.1.') && / = /.test(l) && /\.0\.1 = /.test(l))).toEqual([
      `${K}.2.0.1 = INTEGER: 1`, `${K}.3.0.1 = Hex-STRING: 0A 46 00 C9 `, `${K}.4.0.1 = Hex-STRING: 00 00 00 00 `, `${K}.5.0.1 = Gauge32: 24`,
      `${K}.6.0.1 = INTEGER: 14`, `${K}.7.0.1 = INTEGER: 3`, `${K}.8.0.1 = STRING: "eth0"`, `${K}.9.0.1 = STRING: "eth0:st"`,
      `${K}.10.0.1 = INTEGER: 2`, `${K}.11.0.1 = INTEGER: 2`,
    ]);
  });

  it('only the selected MIBs are built and registered', () => {
    const lines = buildMib(ORACLE_SNAPSHOT, { global: false, vrrp: false, rfcv2: false, rfcv3: true }).map(walkLine);
    expect(lines.every((l) => l.startsWith('.1.3.6.1.2.1.207.'))).toBe(true);
    expect(mibRegions({ global: true, vrrp: true, rfcv2: false, rfcv3: true }).map((r) => r.oid.join('.'))).toEqual([
      '1.3.6.1.4.1.9586.100.5.1', '1.3.6.1.4.1.9586.100.5.2', '1.3.6.1.2.1.207',
    ]);
  });
});
