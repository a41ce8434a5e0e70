// Views of the VRRP side for the dump formatter tests: a configuration text run by the engine
// (no sockets, no kernel) and a fake host (interfaces, sockets, script users) standing for what
// the daemon reads from the machine.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig } from '../../../src/config/load.js';
import { clearCounters } from '../../../src/dump/common.js';
import { mapConfig } from '../../../src/daemon/engine-config.js';
import type { HostLink, HostView, InstanceView, VrrpView } from '../../../src/daemon/view.js';
import type { AddrInfo } from '../../../src/io/rtnl.js';
import { parseIp } from '../../../src/util/ip.js';
import { VrrpEngine } from '../../../src/vrrp/engine.js';
import { fakeMachine, type TmpDir } from '../config/helpers.js';

export const FIX = join(__dirname, '..', '..', 'fixtures', 'dumps');
export const golden = (name: string): string => readFileSync(join(FIX, name), 'utf8');

/** An interface for the fake host: IFF_UP|RUNNING|BROADCAST|MULTICAST ethernet unless told. */
export interface FakeLink {
  readonly name: string;
  readonly index: number;
  readonly mac?: string;
  readonly addresses?: readonly string[];
  readonly loopback?: boolean;
}

const bytes = (mac: string): Uint8Array => Uint8Array.from(mac.split(':').map((h) => parseInt(h, 16)));

function hostLink(l: FakeLink): HostLink {
  const addresses: AddrInfo[] = (l.addresses ?? []).map((a) => {
    const [ip, len] = a.split('/') as [string, string];
    const p = parseIp(ip)!;
    const scope = p.family === 'inet6' && ip.startsWith('fe80') ? 253 : l.loopback ? 254 : 0;
    return { index: l.index, family: p.family, address: p.bytes, prefixLen: Number(len), scope, flags: 0x80 };
  });
  const flags = l.loopback ? 0x1 | 0x8 | 0x40 | 0x10000 : 0x1 | 0x2 | 0x40 | 0x1000 | 0x10000;
  return {
    link: {
      index: l.index, name: l.name, up: true, running: true, lowerUp: true, flags,
      mac: l.mac ? bytes(l.mac) : new Uint8Array(6), mtu: l.loopback ? 65536 : 1500, hwType: l.loopback ? 772 : 1,
      ...(l.loopback ? {} : { broadcast: bytes('ff:ff:ff:ff:ff:ff') }),
    },
    addresses,
    inetConf: { arpIgnore: 0, arpFilter: 0, promoteSecondaries: 0 },
  };
}

/**
 * A host with these interfaces; every VRRP socket is descriptor `fd` (receive buffer as the
 * daemon sets it); scripts run as root, with /bin/ resolved to /usr/bin/ (Debian's merged /usr).
 */
export function fakeHost(links: readonly FakeLink[], fd = 13): HostView {
  return {
    links: () => links.map(hostLink),
    socket: (ifname, family) => (links.some((l) => l.name === ifname) ? { fd, rxBufSize: family === 'inet' ? 262144 : 0 } : undefined),
    resolveScript: (s) => ({ argv: [s.argv[0]!.replace(/^\/bin\//, '/usr/bin/'), ...s.argv.slice(1)], uid: 0, gid: 0, refused: false }),
    trackFileValue: () => 0,
    trackFilePath: (path: string) => path,
    defaultScriptUser: () => ({ uid: 0, gid: 0 }),
  };
}

/** The interfaces keepalived saw when it wrote test/fixtures/dumps/keepalived-2.2.7.data. */
export const GOLDEN_LINKS: readonly FakeLink[] = [
  { name: 'lo', index: 1, loopback: true, addresses: ['127.0.0.1/8'] },
  { name: 'veth1', index: 2, mac: '8e:88:8c:be:cd:a8', addresses: ['fe80::8c88:8cff:febe:cda8/64'] },
  { name: 'veth0', index: 3, mac: 'aa:31:28:f5:24:6d', addresses: ['10.13.0.1/24', 'fe80::a831:28ff:fef5:246d/64'] },
];

/** A configuration text run by the engine: until every instance is MASTER, or `steps` deadlines. */
export function viewOf(tmp: TmpDir, text: string, links: readonly FakeLink[], opts: { steps?: number; host?: boolean } = {}): VrrpView {
  const names = new Set(links.map((l) => l.name));
  const machine = fakeMachine({ interfaceExists: (n) => names.has(n) });
  const { config } = loadConfig(tmp.conf(text), { configId: 'x', machine });
  const first = (name: string, family: 'inet' | 'inet6'): Uint8Array | undefined => hostLink(links.find((l) => l.name === name)!)
    .addresses.find((a) => a.family === family && (family === 'inet' || a.scope === 253))?.address;
  const mapped = mapConfig(config, (n) => (names.has(n) ? { inet: first(n, 'inet'), inet6: first(n, 'inet6') } : undefined));
  const engine = new VrrpEngine(mapped.engine);
  let step = engine.handle(0, { type: 'start' });
  for (let i = 0; i < (opts.steps ?? 100) && step.deadline !== undefined && engine.instances.some((x) => x.state !== 'MASTER'); i++) {
    step = engine.handle(step.deadline, { type: 'tick' });
  }
  const instances: InstanceView[] = [...mapped.instances].map(([name, m]) => ({
    name, model: m.model, live: engine.instance(name)!, baseInterface: m.baseInterface,
    sourceAddress: m.config.sourceAddress.bytes, sendErrors: 0,
  }));
  return {
    config, configFile: 'keepalived.conf', pid: 1, startedAt: 0, reloads: 0, instances, groups: engine.groups,
    unknownVrid: 0, addressFailures: 0, addressesRestored: 0, ...(opts.host === false ? {} : { host: fakeHost(links) }),
  };
}

/** The golden's configuration run until both instances are MASTER. */
export function fixtureView(tmp: TmpDir, opts: { host?: boolean } = {}): VrrpView {
  return viewOf(tmp, golden('keepalived.conf'), GOLDEN_LINKS, opts);
}

/** Set what keepalived had counted when it wrote the golden. */
export function asGolden(view: VrrpView, sent: Record<string, number>, transitions: Record<string, number>): VrrpView {
  const instances = view.instances.map((iv) => {
    const s = iv.live.stats;
    clearCounters(s);
    s.advertsSent = sent[iv.name]!;
    s.becomeMaster = 1;
    return { ...iv, lastTransitionAt: transitions[iv.name]! };
  });
  return { ...view, instances };
}

export const LAST = { VI_1: 1795335101980.094, VI_2: 1795335100333.358 };

/** The lines of a "------< TITLE >------" section (without its title). */
export function section(text: string, title: string): string[] {
  const lines = text.split('\n');
  const from = lines.indexOf(`------< ${title} >------`);
  if (from < 0) return [];
  const to = lines.findIndex((l, i) => i > from && l.startsWith('------<'));
  return lines.slice(from + 1, to < 0 ? undefined : to).filter((l) => l !== '');
}
