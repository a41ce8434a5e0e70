// use_vmac: the macvlan request, keepalived's sysctls (planned, then applied to a fake /proc/sys),
// and the iproute2 name files.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadRtNames } from '../../../src/io/rtnl-names.js';
import { Sysctl, VmacSysctls } from '../../../src/io/rtnl-sysctl.js';
import { parseAttrs, readString, readU32 } from '../../../src/netlink/attrs.js';
import { NLM_F_CREATE, NLM_F_EXCL } from '../../../src/netlink/constants.js';
import { lookupName, parseUnsigned } from '../../../src/netlink/names.js';
import { addrGenModeNoneRequest, linkUpRequest, macvlanRequest, sysctlName, vmacAddress, vmacName, vmacSysctls } from '../../../src/netlink/vmac.js';

const tmp = mkdtempSync(join(tmpdir(), 'kts-vmac-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('VMAC identity', () => {
  it.each([
    [51, 'inet', [0, 0, 0x5e, 0, 1, 51]],
    [255, 'inet', [0, 0, 0x5e, 0, 1, 255]],
    [1, 'inet6', [0, 0, 0x5e, 0, 2, 1]],
  ] as const)('vrid %d %s', (vrid, family, mac) => {
    expect([...vmacAddress(vrid, family)]).toEqual(mac);
  });

  it('names vrrp.VRID, or with another vmac_prefix', () => {
    expect(vmacName(51)).toBe('vrrp.51');
    expect(vmacName(7, 'vm')).toBe('vm.7');
  });
});

describe('macvlanRequest', () => {
  it('creates a private macvlan on the parent with the MAC', () => {
    const r = macvlanRequest(3, 'vrrp.51', vmacAddress(51, 'inet'));
    expect(r.flags).toBe(NLM_F_CREATE | NLM_F_EXCL);
    expect(r.attrs.ifname).toBe('vrrp.51');
    expect(readU32(r.attrs.link)).toBe(3);
    expect([...r.attrs.address!]).toEqual([0, 0, 0x5e, 0, 1, 51]);
    const info = parseAttrs(r.attrs.linkinfo!)!;
    expect(readString(info.get(1))).toBe('macvlan');
    expect(readU32(parseAttrs(info.get(2)!)!.get(1))).toBe(1); // MACVLAN_MODE_PRIVATE
  });

  it.each([['bridge', 4], ['vepa', 2]] as const)('mode %s', (mode, value) => {
    const info = parseAttrs(macvlanRequest(3, 'x', vmacAddress(1, 'inet'), mode).attrs.linkinfo!)!;
    expect(readU32(parseAttrs(info.get(2)!)!.get(1))).toBe(value);
  });

  it('addr_gen_mode none is IFLA_AF_SPEC / AF_INET6 / IFLA_INET6_ADDR_GEN_MODE = 1', () => {
    const r = addrGenModeNoneRequest(9);
    expect(r.data).toEqual({ index: 9 });
    const inner = parseAttrs(r.attrs.afSpec!.get(10)!)!;
    expect([...inner.get(8)!]).toEqual([1]);
  });

  it('link up / down changes IFF_UP only', () => {
    expect(linkUpRequest(9, true).data).toEqual({ index: 9, change: { up: true }, flags: { up: true } });
    expect(linkUpRequest(9, false).data).toEqual({ index: 9, change: { up: true }, flags: {} });
  });
});

describe('vmacSysctls', () => {
  it('IPv4: VMAC arp_ignore/accept_local/rp_filter/promote_secondaries, IPv6 off; base arp_ignore/arp_filter', () => {
    expect(vmacSysctls('vrrp.51', 'eth0', 'inet')).toEqual({
      vmac: [
        { path: 'net/ipv4/conf/vrrp.51/arp_ignore', value: 1 },
        { path: 'net/ipv4/conf/vrrp.51/accept_local', value: 1 },
        { path: 'net/ipv4/conf/vrrp.51/rp_filter', value: 0 },
        { path: 'net/ipv4/conf/vrrp.51/promote_secondaries', value: 1 },
        { path: 'net/ipv6/conf/vrrp.51/disable_ipv6', value: 1 },
      ],
      base: [
        { path: 'net/ipv4/conf/eth0/arp_ignore', value: 1 },
        { path: 'net/ipv4/conf/eth0/arp_filter', value: 1 },
      ],
    });
    expect(vmacSysctls('vrrp.51', 'eth0', 'inet', { ipv6: true }).vmac.at(-1)).toEqual({ path: 'net/ipv6/conf/vrrp.51/disable_ipv6', value: 0 });
  });

  it('IPv6: only IPv6 kept on', () => {
    expect(vmacSysctls('vrrp.51', 'eth0', 'inet6')).toEqual({ vmac: [{ path: 'net/ipv6/conf/vrrp.51/disable_ipv6', value: 0 }], base: [] });
  });

  it('prints names as sysctl does (dots in interface names become slashes)', () => {
    expect(sysctlName('net/ipv4/conf/vrrp.51/arp_ignore')).toBe('net.ipv4.conf.vrrp/51.arp_ignore');
  });
});

describe('VmacSysctls on a fake /proc/sys', () => {
  function fakeProc(values: Record<string, number>): string {
    const root = mkdtempSync(join(tmp, 'proc-'));
    for (const [path, v] of Object.entries(values)) {
      mkdirSync(dirname(join(root, path)), { recursive: true });
      writeFileSync(join(root, path), `${v}\n`);
    }
    return root;
  }
  const read = (root: string, path: string): number => Number(readFileSync(join(root, path), 'utf8'));
  const conf = (ifname: string, key: string, v: number) => ({ [`net/ipv4/conf/${ifname}/${key}`]: v });

  const machine = () => fakeProc({
    ...conf('all', 'rp_filter', 2), ...conf('default', 'rp_filter', 1),
    ...conf('eth0', 'rp_filter', 1), ...conf('eth0', 'arp_ignore', 0), ...conf('eth0', 'arp_filter', 0),
    ...conf('eth1', 'rp_filter', 2),
    ...conf('vrrp.51', 'rp_filter', 1), ...conf('vrrp.51', 'arp_ignore', 0), ...conf('vrrp.51', 'accept_local', 0), ...conf('vrrp.51', 'promote_secondaries', 0),
    ...conf('vrrp.52', 'rp_filter', 1), ...conf('vrrp.52', 'arp_ignore', 0), ...conf('vrrp.52', 'accept_local', 0), ...conf('vrrp.52', 'promote_secondaries', 0),
    'net/ipv6/conf/vrrp.51/disable_ipv6': 0, 'net/ipv6/conf/vrrp.52/disable_ipv6': 0,
  });

  it('applies, raises rp_filter to all\'s value then clears all, and restores', async () => {
    const root = machine();
    const s = new VmacSysctls(new Sysctl(root));
    await s.apply('vrrp.51', 'eth0', 'inet');
    expect(read(root, 'net/ipv4/conf/all/rp_filter')).toBe(0);
    expect(read(root, 'net/ipv4/conf/default/rp_filter')).toBe(2);
    expect(read(root, 'net/ipv4/conf/eth0/rp_filter')).toBe(2);
    expect(read(root, 'net/ipv4/conf/eth1/rp_filter')).toBe(2);
    expect(read(root, 'net/ipv4/conf/vrrp.51/rp_filter')).toBe(0);
    expect(read(root, 'net/ipv4/conf/vrrp.51/arp_ignore')).toBe(1);
    expect(read(root, 'net/ipv4/conf/vrrp.51/accept_local')).toBe(1);
    expect(read(root, 'net/ipv4/conf/vrrp.51/promote_secondaries')).toBe(1);
    expect(read(root, 'net/ipv6/conf/vrrp.51/disable_ipv6')).toBe(1);
    expect(read(root, 'net/ipv4/conf/eth0/arp_ignore')).toBe(1);
    expect(read(root, 'net/ipv4/conf/eth0/arp_filter')).toBe(1);

    // a second VMAC on eth0 shares the saved base values; the base is put back after the last
    await s.apply('vrrp.52', 'eth0', 'inet');
    await s.release('eth0');
    expect(read(root, 'net/ipv4/conf/eth0/arp_ignore')).toBe(1);
    await s.release('eth0');
    expect(read(root, 'net/ipv4/conf/eth0/arp_ignore')).toBe(0);
    expect(read(root, 'net/ipv4/conf/eth0/arp_filter')).toBe(0);

    await s.restore();
    expect(read(root, 'net/ipv4/conf/all/rp_filter')).toBe(2);
    expect(read(root, 'net/ipv4/conf/default/rp_filter')).toBe(1);
    expect(read(root, 'net/ipv4/conf/eth0/rp_filter')).toBe(1);
    expect(read(root, 'net/ipv4/conf/eth1/rp_filter')).toBe(2);
  });

  it('leaves rp_filter alone when all.rp_filter is already 0, and restores the base at exit', async () => {
    const root = machine();
    writeFileSync(join(root, 'net/ipv4/conf/all/rp_filter'), '0\n');
    const s = new VmacSysctls(new Sysctl(root));
    await s.apply('vrrp.51', 'eth0', 'inet');
    expect(read(root, 'net/ipv4/conf/eth0/rp_filter')).toBe(1);
    expect(read(root, 'net/ipv4/conf/default/rp_filter')).toBe(1);
    await s.restore();
    expect(read(root, 'net/ipv4/conf/all/rp_filter')).toBe(0);
    expect(read(root, 'net/ipv4/conf/eth0/arp_ignore')).toBe(0);
  });

  it('fails with SYSCTL_WRITE naming the parameter', async () => {
    const root = fakeProc(conf('all', 'rp_filter', 0));
    const s = new VmacSysctls(new Sysctl(root));
    await expect(s.apply('vrrp.9', 'eth9', 'inet')).rejects.toMatchObject({
      code: 'SYSCTL_WRITE',
      message: 'set net.ipv4.conf.vrrp/9.arp_ignore=1: ENOENT',
    });
  });
});

describe('names', () => {
  it.each([
    ['100', 100], ['0x64', 100], ['0144', 100], ['0', 0], ['4294967295', 4294967295],
    ['4294967296', undefined], ['1e3', undefined], ['-1', undefined], ['', undefined], ['09', undefined],
  ])('parseUnsigned(%j)', (word, v) => {
    expect(parseUnsigned(word, 0xffffffff)).toBe(v);
  });

  it('loadRtNames reads the files and keeps the defaults whose id they do not name', async () => {
    const dir = mkdtempSync(join(tmp, 'iproute2-'));
    writeFileSync(join(dir, 'rt_tables'), '255\tlocal\n254\tmain\n253\tdefault\n0\tunspec\n# VIPs\n100 vip\n');
    writeFileSync(join(dir, 'rt_protos'), '18 ka\n');
    const n = await loadRtNames([dir]);
    expect(lookupName(n.tables, 'vip', 0xffffffff)).toBe(100);
    expect(lookupName(n.tables, 'main', 0xffffffff)).toBe(254);
    expect(lookupName(n.protocols, 'ka', 255)).toBe(18);
    // id 18 is named by the file, so the built-in name for it is not added
    expect(lookupName(n.protocols, 'keepalived', 255)).toBeUndefined();
    expect(lookupName(n.protocols, 'static', 255)).toBe(4);
    expect(lookupName(n.scopes, 'link', 255)).toBe(253);
  });

  it('loadRtNames without files gives keepalived\'s defaults', async () => {
    const n = await loadRtNames([join(tmp, 'nonexistent')]);
    expect([...n.tables.keys()].sort()).toEqual(['default', 'local', 'main']);
    expect(lookupName(n.protocols, 'keepalived', 255)).toBe(18);
  });
});
