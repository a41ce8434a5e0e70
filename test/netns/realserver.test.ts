// `keepalived-ts realserver` on a real kernel: a director-like host and a real server on one
// bridge (src/lab/netlab.ts). In the real server's namespace the command (from dist/, through a
// two-line runner, until src/cli.ts dispatches `realserver`) puts the VIP on lo with
// arp_ignore/arp_announce, reports readiness, changes nothing the second time, and --down puts
// everything back. The ARP problem the LVS guides warn about is shown with iputils-arping from
// the other host: a VIP on lo without the sysctls IS answered (the real server would steal the
// VIP from the director); prepared by the command it is NOT. Refusals exit 1 with their message.
// TUN: when this kernel has no IPIP (no CONFIG_NET_IPIP), the command must refuse cleanly and
// change nothing; when it has, tunl0 carries the VIP with rp_filter 0. TUN is also checked in
// user-mode Linux, whose kernel has ipip (last block). And the unit file passes
// `systemd-analyze verify`.
// Needs root, iputils-arping, systemd-analyze (user-mode-linux for the TUN block); uses dist/
// (run after `npm run build`).
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NetLab, sh, type ExecResult } from '../../src/lab/netlab.js';
import { runUml, umlUnavailable, type UmlRun } from '../../src/lab/uml.js';
import { withOurManPages } from '../helpers/man-path.js';
import { skipUnless } from '../helpers/system.js';

const isRoot = process.getuid?.() === 0;
const hasArping = sh('sh', ['-c', 'command -v arping']).rc === 0;
const CMD_MODULE = resolve('dist/src/commands/realserver.js');
const CLI = resolve('dist/src/cli.js');

/** Whether this kernel can make an ipip device in a namespace (CONFIG_NET_IPIP / module). */
function ipipAvailable(): boolean {
  if (!isRoot) return false;
  const ns = `ktsrsprobe${process.pid}`;
  if (sh('ip', ['netns', 'add', ns]).rc !== 0) return false;
  try {
    return sh('ip', ['-n', ns, 'link', 'add', 'ktsprobe0', 'type', 'ipip']).rc === 0;
  } finally {
    sh('ip', ['netns', 'del', ns]);
  }
}

describe.skipIf(skipUnless(isRoot, 'root') || skipUnless(hasArping, 'arping (iputils-arping)'))('keepalived-ts realserver (netns)', () => {
  let lab: NetLab;
  let tmp: string;
  let runner: string;
  const VIP = '10.71.0.100';

  beforeAll(() => {
    tmp = mkdtempSync(join(tmpdir(), 'kts-rs-'));
    chmodSync(tmp, 0o755); // the no-root case runs the runner as nobody
    runner = join(tmp, 'realserver.mjs');
    writeFileSync(runner, `const m = await import(${JSON.stringify(CMD_MODULE)});\nprocess.exitCode = await m.realserverCommand(process.argv.slice(2));\n`);
    lab = new NetLab('ktsrs');
    lab.addHost({ name: 'dir', addresses: ['10.71.0.10/24'] });
    lab.addHost({ name: 'rs', addresses: ['10.71.0.20/24'] });
  });
  afterAll(async () => {
    await lab?.destroy();
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  const state = (): string => join(tmp, 'realserver.json');
  const rs = (...args: string[]): ExecResult => lab.exec('rs', process.execPath, [runner, ...args, '--state', state()], 30_000);
  const sysctl = (name: string): number => Number(lab.exec('rs', 'sysctl', ['-n', name]).stdout.trim());
  const setSysctl = (name: string, v: number): void => {
    expect(lab.exec('rs', 'sysctl', ['-qw', `${name}=${v}`]).rc).toBe(0);
  };
  /** arping from the director-like host: true when someone answered for `ip`. */
  const arpAnswered = (ip: string): { answered: boolean; out: string } => {
    const r = lab.exec('dir', 'arping', ['-c', '2', '-w', '3', '-I', 'eth0', ip], 15_000);
    return { answered: r.rc === 0 && /reply from/i.test(r.stdout), out: r.stdout + r.stderr };
  };
  const rsMac = (): string => lab.host('rs').mac.toUpperCase();

  it('the failure mode: a VIP on lo WITHOUT arp_ignore/arp_announce is answered by the real server', () => {
    expect(sysctl('net.ipv4.conf.all.arp_ignore')).toBe(0);
    expect(lab.exec('rs', 'ip', ['addr', 'add', `${VIP}/32`, 'dev', 'lo']).rc).toBe(0);
    lab.exec('rs', 'ip', ['link', 'set', 'lo', 'up']);
    try {
      const r = arpAnswered(VIP);
      expect(r.answered, r.out).toBe(true);
      expect(r.out.toUpperCase()).toContain(rsMac()); // the real server claims the VIP
    } finally {
      lab.exec('rs', 'ip', ['addr', 'del', `${VIP}/32`, 'dev', 'lo']);
    }
  });

  it('dr: --status says what is missing; the command prepares the host; ARP stays quiet; twice changes nothing', () => {
    const before = rs('--mode', 'dr', '--vip', VIP, '--status');
    expect(before.rc).toBe(1);
    expect(before.stdout).toContain('NOT READY');
    expect(before.stdout).toMatch(/MISSING vip 10\.71\.0\.100\/32: missing, want on lo/);
    expect(before.stdout).toMatch(/MISSING net\.ipv4\.conf\.all\.arp_ignore: 0, want 1/);

    const first = rs('--mode', 'dr', '--vip', VIP, '--vip', 'fd00:71::100');
    expect(first.stderr).toBe('');
    expect(first.rc).toBe(0);
    expect(first.stdout).toMatch(/^ready: dr mode/m);
    expect(lab.hasAddress('rs', VIP, 'lo')).toBe(true);
    expect(lab.hasAddress('rs', 'fd00:71::100', 'lo')).toBe(true);
    expect(lab.addresses('rs', 'lo')).toContain(`${VIP}/32`);
    expect(lab.exec('rs', 'ip', ['-j', 'addr', 'show', 'dev', 'lo']).stdout).toContain('"label":"lo:kts"');
    expect(sysctl('net.ipv4.conf.all.arp_ignore')).toBe(1);
    expect(sysctl('net.ipv4.conf.all.arp_announce')).toBe(2);

    const status = rs('--mode', 'dr', '--vip', VIP, '--status', '--json');
    expect(status.rc).toBe(0);
    const doc = JSON.parse(status.stdout) as { ready: boolean; checks: { ok: boolean }[] };
    expect(doc.ready).toBe(true);
    expect(doc.checks.every((c) => c.ok)).toBe(true);
    expect(rs('--mode', 'dr', '--vip', VIP, '--status').stdout).toMatch(/^realserver dr \(VIPs on lo\): ready$/m);

    const recorded = readFileSync(state(), 'utf8');
    const mtime = statSync(state()).mtimeMs;
    const second = rs('--mode', 'dr', '--vip', VIP, '--vip', 'fd00:71::100');
    expect(second.rc).toBe(0);
    expect(second.stdout).toMatch(/^already configured: .*nothing changed$/m);
    expect(readFileSync(state(), 'utf8')).toBe(recorded);
    expect(statSync(state()).mtimeMs).toBe(mtime);

    // the point of it all: the director-like host gets no ARP answer for the VIP from the RS
    const r = arpAnswered(VIP);
    expect(r.answered, r.out).toBe(false);
    // ... while the real server still answers for its own address
    expect(arpAnswered('10.71.0.20').answered).toBe(true);
  });

  it('--down restores the sysctls and removes only the VIPs it added', () => {
    lab.exec('rs', 'ip', ['addr', 'add', '10.71.9.9/32', 'dev', 'lo']); // not ours: stays
    const r = rs('--down');
    expect(r.stderr).toBe('');
    expect(r.rc).toBe(0);
    expect(r.stdout).toMatch(/restored/);
    expect(lab.hasAddress('rs', VIP, 'lo')).toBe(false);
    expect(lab.hasAddress('rs', 'fd00:71::100', 'lo')).toBe(false);
    expect(lab.hasAddress('rs', '10.71.9.9', 'lo')).toBe(true);
    expect(sysctl('net.ipv4.conf.all.arp_ignore')).toBe(0);
    expect(sysctl('net.ipv4.conf.all.arp_announce')).toBe(0);
    expect(existsSync(state())).toBe(false);
    lab.exec('rs', 'ip', ['addr', 'del', '10.71.9.9/32', 'dev', 'lo']);
    // a second --down has nothing to do
    const again = rs('--down');
    expect(again.rc).toBe(0);
    expect(again.stdout).toMatch(/nothing to undo/);
  });

  it('--down leaves a sysctl alone that someone changed after us', () => {
    expect(rs('--mode', 'dr', '--vip', VIP).rc).toBe(0);
    setSysctl('net.ipv4.conf.all.arp_announce', 1);
    const r = rs('--down');
    expect(r.rc).toBe(0);
    expect(r.stdout).toMatch(/left alone: net\.ipv4\.conf\.all\.arp_announce: now 1/);
    expect(sysctl('net.ipv4.conf.all.arp_announce')).toBe(1);
    expect(sysctl('net.ipv4.conf.all.arp_ignore')).toBe(0);
    setSysctl('net.ipv4.conf.all.arp_announce', 0);
  });

  it('refuses a VIP that is already an address of eth0, or the host own address, and changes nothing', () => {
    expect(lab.exec('rs', 'ip', ['addr', 'add', '10.71.0.101/24', 'dev', 'eth0']).rc).toBe(0);
    try {
      const r = rs('--mode', 'dr', '--vip', '10.71.0.101');
      expect(r.rc).toBe(1);
      expect(r.stderr).toMatch(/refused: 10\.71\.0\.101 is already an address of eth0 .*answers ARP for it/);
      const own = rs('--mode', 'dr', '--vip', '10.71.0.20');
      expect(own.rc).toBe(1);
      expect(own.stderr).toMatch(/refused: 10\.71\.0\.20 is this host's own primary address on eth0/);
      expect(sysctl('net.ipv4.conf.all.arp_ignore')).toBe(0);
      expect(lab.hasAddress('rs', '10.71.0.101', 'lo')).toBe(false);
      expect(existsSync(state())).toBe(false);
    } finally {
      lab.exec('rs', 'ip', ['addr', 'del', '10.71.0.101/24', 'dev', 'eth0']);
    }
  });

  it('bad input and no root: exit 1 with a message, never a stack trace', () => {
    for (const [args, msg] of [
      [['--vip', VIP], /--mode dr\|tun is required/],
      [['--mode', 'nat', '--vip', VIP], /--mode must be dr or tun/],
      [['--mode', 'dr', '--vip', 'not-an-ip'], /not an IPv4 or IPv6 address/],
      [['--mode', 'dr', '--vip', '10.71.0.0/24'], /as a \/32/],
    ] as const) {
      const r = rs(...args);
      expect(r.rc, args.join(' ')).toBe(1);
      expect(r.stderr).toMatch(msg);
      expect(r.stderr).not.toMatch(/\n\s+at /);
    }
    const nobody = lab.exec('rs', 'setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, runner, '--mode', 'dr', '--vip', VIP, '--state', state()]);
    expect(nobody.rc).toBe(1);
    expect(nobody.stderr).toMatch(/needs root/);
    // a corrupt state file is reported, not trusted
    writeFileSync(state(), '{"version":1,"mode":"dr","sysctls":[{"path":"kernel/../../x"}]}');
    try {
      const r = rs('--down');
      expect(r.rc).toBe(1);
      expect(r.stderr).toMatch(/state file .* is not usable/);
    } finally {
      rmSync(state(), { force: true });
    }
  });

  const ipip = ipipAvailable();

  // this host kernel decides which of the two is shown; the UML block below always covers tun
  it(`tun on this kernel (${ipip ? 'IPIP present: set up and --down' : 'no IPIP: refused with the reason, nothing changed'})`, () => {
    if (!ipip) {
      setSysctl('net.ipv4.conf.all.rp_filter', 1);
      const r = rs('--mode', 'tun', '--vip', VIP);
      expect(r.rc).toBe(1);
      expect(r.stderr).toMatch(/this kernel has no IPIP tunnel .*CONFIG_NET_IPIP/);
      expect(sysctl('net.ipv4.conf.all.arp_ignore')).toBe(0);
      expect(sysctl('net.ipv4.conf.all.rp_filter')).toBe(1);
      setSysctl('net.ipv4.conf.all.rp_filter', 0);
      expect(existsSync(state())).toBe(false);
      const st = rs('--mode', 'tun', '--vip', VIP, '--status');
      expect(st.rc).toBe(1);
      expect(st.stdout).toMatch(/MISSING device tunl0: missing/);
      expect(rs('--mode', 'tun', '--vip', 'fd00:71::100').stderr).toMatch(/IPv6 VIPs in tun mode are not supported/);
      return;
    }
    setSysctl('net.ipv4.conf.all.rp_filter', 1);
    setSysctl('net.ipv4.conf.eth0.rp_filter', 0);
    const r = rs('--mode', 'tun', '--vip', VIP);
    expect(r.stderr).toBe('');
    expect(r.rc).toBe(0);
    const link = JSON.parse(lab.exec('rs', 'ip', ['-j', '-d', 'link', 'show', 'tunl0']).stdout)[0] as { flags: string[]; linkinfo?: { info_kind?: string } };
    expect(link.linkinfo?.info_kind).toBe('ipip');
    expect(link.flags).toContain('UP');
    expect(lab.hasAddress('rs', VIP, 'tunl0')).toBe(true);
    expect(sysctl('net.ipv4.conf.tunl0.rp_filter')).toBe(0);
    expect(sysctl('net.ipv4.conf.all.rp_filter')).toBe(0);
    expect(sysctl('net.ipv4.conf.eth0.rp_filter')).toBe(1); // max(all=1, 0) before: still filtered
    expect(rs('--mode', 'tun', '--vip', VIP, '--status').rc).toBe(0);
    expect(rs('--down').rc).toBe(0);
    expect(lab.hasAddress('rs', VIP, 'tunl0')).toBe(false);
    expect(sysctl('net.ipv4.conf.all.rp_filter')).toBe(1);
    expect(sysctl('net.ipv4.conf.eth0.rp_filter')).toBe(0);
    setSysctl('net.ipv4.conf.all.rp_filter', 0);
  });
});

describe.skipIf(skipUnless(isRoot, 'root'))('keepalived-ts-realserver.service', () => {
  it('passes systemd-analyze verify (ExecStart/ExecStop pointed at the built CLI)', () => {
    const unit = readFileSync('systemd/keepalived-ts-realserver.service', 'utf8');
    const lines = unit.split('\n');
    for (const line of ['Type=oneshot', 'RemainAfterExit=yes', 'EnvironmentFile=-/etc/default/keepalived-ts-realserver',
      'ExecStart=/usr/bin/keepalived-ts realserver $REALSERVER_ARGS', 'ExecStop=/usr/bin/keepalived-ts realserver --down $REALSERVER_ARGS']) {
      expect(lines).toContain(line);
    }
    expect(readFileSync('systemd/keepalived-ts-realserver.default', 'utf8')).toMatch(/^REALSERVER_ARGS=/m);
    const dir = mkdtempSync(join(tmpdir(), 'kts-rs-unit-'));
    try {
      const copy = join(dir, 'keepalived-ts-realserver.service');
      const point = (bin: string): string => unit.replace(/^(Exec(?:Start|Stop))=\/usr\/bin\/keepalived-ts /gm, `$1=${bin} `);
      writeFileSync(copy, point(`${process.execPath} ${CLI}`));
      const r = spawnSync('systemd-analyze', ['verify', copy], { encoding: 'utf8', timeout: 60_000, env: withOurManPages(dir) });
      expect(r.stderr).toBe('');
      expect(r.status).toBe(0);
      // the check can fail: a unit naming a missing binary does not verify
      writeFileSync(copy, point(join(dir, 'missing')));
      expect(spawnSync('systemd-analyze', ['verify', copy], { encoding: 'utf8', timeout: 60_000 }).status).not.toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

// This host's kernel has no IPIP; user-mode Linux (Debian's 6.1 with modules, src/lab/uml.ts)
// has, so TUN is checked there: tunl0 (the ipip module's fallback device) up with the VIP and
// rp_filter 0, and in a namespace without a fallback device (fb_tunnels_only_for_init_net=2)
// tunl0 created by the command over rtnetlink and deleted again by --down.
const TUN_GUEST = String.raw`
R() { node "$RUNNER" "$@"; }
snap() { # name: tunl0 link, its addresses and the sysctls, as files in $UML_OUT
  $NS ip -j -d link show tunl0 > "$UML_OUT/$1.link" 2>/dev/null || echo '[]' > "$UML_OUT/$1.link"
  $NS ip -j addr show dev tunl0 > "$UML_OUT/$1.addr" 2>/dev/null || echo '[]' > "$UML_OUT/$1.addr"
  for k in all.rp_filter eth0.rp_filter tunl0.rp_filter all.arp_ignore all.arp_announce; do
    echo "$k=$($NS sysctl -n net.ipv4.conf.$k 2>/dev/null)"; done > "$UML_OUT/$1.sysctl"
}
ip link add eth0 type veth peer name eth1
ip addr add 10.72.0.20/24 dev eth0; ip link set eth0 up
sysctl -qw net.ipv4.conf.all.rp_filter=1
NS=""
R --mode tun --vip 10.72.0.100 --state /run/rs1.json > "$UML_OUT/up.out" 2>&1; echo $? > "$UML_OUT/up.rc"
snap up
R --mode tun --vip 10.72.0.100 --state /run/rs1.json > "$UML_OUT/again.out" 2>&1; echo $? > "$UML_OUT/again.rc"
R --down --state /run/rs1.json > "$UML_OUT/down.out" 2>&1; echo $? > "$UML_OUT/down.rc"
snap down
sysctl -qw net.core.fb_tunnels_only_for_init_net=2
ip netns add rs2
NS="ip netns exec rs2"
$NS ip link set lo up
$NS ip link show tunl0 > /dev/null 2>&1 && echo present > "$UML_OUT/ns.before" || echo absent > "$UML_OUT/ns.before"
$NS node "$RUNNER" --mode tun --vip 10.72.0.101 --state /run/rs2.json > "$UML_OUT/nsup.out" 2>&1; echo $? > "$UML_OUT/nsup.rc"
snap nsup
cp /run/rs2.json "$UML_OUT/nsup.state"
$NS node "$RUNNER" --down --state /run/rs2.json > "$UML_OUT/nsdown.out" 2>&1; echo $? > "$UML_OUT/nsdown.rc"
$NS ip link show tunl0 > /dev/null 2>&1 && echo present > "$UML_OUT/ns.after" || echo absent > "$UML_OUT/ns.after"
`;

describe.skipIf(skipUnless(isRoot, 'root') || skipUnless(umlUnavailable() === undefined, `user-mode Linux: ${umlUnavailable()}`) || skipUnless(existsSync(CMD_MODULE), CMD_MODULE))('keepalived-ts realserver --mode tun (UML: a kernel with IPIP)', () => {
  let run: UmlRun;
  let tmp: string;
  const file = (n: string): string => (run.files.get(n) ?? '').trim();
  const sysctls = (n: string): Record<string, string> => Object.fromEntries(file(`${n}.sysctl`).split('\n').map((l) => l.split('=') as [string, string]));
  const addrs = (n: string): string[] => ((JSON.parse(file(`${n}.addr`) || '[]') as { addr_info?: { local: string; prefixlen: number }[] }[])[0]?.addr_info ?? []).map((a) => `${a.local}/${a.prefixlen}`);
  const link = (n: string): { flags?: string[]; linkinfo?: { info_kind?: string } } | undefined => (JSON.parse(file(`${n}.link`) || '[]') as object[])[0];

  beforeAll(async () => {
    tmp = mkdtempSync(join(tmpdir(), 'kts-rs-uml-'));
    chmodSync(tmp, 0o755);
    const runner = join(tmp, 'realserver.mjs');
    writeFileSync(runner, `const m = await import(${JSON.stringify(CMD_MODULE)});\nprocess.exitCode = await m.realserverCommand(process.argv.slice(2));\n`);
    run = await runUml({ script: TUN_GUEST, modules: ['ipip', 'veth'], env: { RUNNER: runner }, timeoutMs: 150_000 });
  }, 200_000);
  afterAll(() => {
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  it('the guest ran', () => {
    expect(run.rc, `guest log:\n${run.log}\nconsole:\n${run.console.slice(-2000)}`).toBe(0);
  });

  it('tunl0 up with the VIP /32, rp_filter 0 on tunl0 and all, eth0 keeps filtering, ARP sysctls; twice changes nothing', () => {
    expect(file('up.rc'), file('up.out')).toBe('0');
    expect(link('up')?.linkinfo?.info_kind).toBe('ipip');
    expect(link('up')?.flags).toContain('UP');
    expect(addrs('up')).toContain('10.72.0.100/32');
    expect(sysctls('up')).toEqual({ 'all.rp_filter': '0', 'eth0.rp_filter': '1', 'tunl0.rp_filter': '0', 'all.arp_ignore': '1', 'all.arp_announce': '2' });
    expect(file('again.rc')).toBe('0');
    expect(file('again.out')).toMatch(/already configured/);
  });

  it('--down: VIP gone, tunl0 down again, sysctls back', () => {
    expect(file('down.rc'), file('down.out')).toBe('0');
    expect(addrs('down')).toEqual([]);
    expect(link('down')?.flags ?? []).not.toContain('UP');
    expect(sysctls('down')).toMatchObject({ 'all.rp_filter': '1', 'eth0.rp_filter': '0', 'all.arp_ignore': '0', 'all.arp_announce': '0' });
  });

  it('in a namespace without tunl0 the command creates it over rtnetlink, and --down deletes it', () => {
    expect(file('ns.before')).toBe('absent');
    expect(file('nsup.rc'), file('nsup.out')).toBe('0');
    expect(link('nsup')?.linkinfo?.info_kind).toBe('ipip');
    expect(addrs('nsup')).toContain('10.72.0.101/32');
    expect(JSON.parse(file('nsup.state')).createdLinks).toEqual(['tunl0']);
    expect(file('nsdown.rc'), file('nsdown.out')).toBe('0');
    expect(file('ns.after')).toBe('absent');
  });
});
