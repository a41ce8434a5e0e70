// The Debian package (scripts/build-deb.sh) on a clean Debian 12 root: debootstrap's minbase
// (no compiler, no make, no python, no Node), the package installed with dpkg alone, then
// `keepalived-ts -t` and a VRRP pair run from that root (chroot) in network namespaces, with a
// client reaching the VIP, and a takeover. `-t` fails when the native addon cannot load.
// The root comes from a debootstrap tarball cached in /var/cache/keepalived-ts-tests (made on
// first use from deb.debian.org, as apt's sources do), unpacked into a fresh temp directory.
// Each daemon's /proc, /dev and /sys are mounted inside its own `ip netns exec` mount
// namespace, so they go with it.
// Needs root, debootstrap, dpkg-deb (scripts/install-deps.sh); uses dist/ (npm run build).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { directorConf } from '../../src/lab/configs.js';
import { NetLab } from '../../src/lab/netlab.js';
import { LineWatch, waitUntil } from '../../src/lab/watch.js';
import { skipUnless } from '../helpers/system.js';

const isRoot = process.getuid?.() === 0;
const CACHE = '/var/cache/keepalived-ts-tests';
const TARBALL = join(CACHE, 'bookworm-minbase.tgz');
const MIRROR = 'http://deb.debian.org/debian';
/** A director's environment: nothing of this machine's (no NODE_* variables, no PATH to its node). */
const ENV = { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', LANG: 'C.UTF-8' };

function run(cmd: string, args: readonly string[], timeoutMs = 120_000, env: NodeJS.ProcessEnv = ENV): { rc: number; out: string } {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: timeoutMs, env });
  return { rc: r.status ?? -1, out: `${r.stdout ?? ''}${r.stderr ?? ''}` };
}

function must(cmd: string, args: readonly string[], timeoutMs?: number, env?: NodeJS.ProcessEnv): string {
  const r = run(cmd, args, timeoutMs, env);
  if (r.rc !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.rc}):\n${r.out}`);
  return r.out;
}

/** debootstrap's minbase bookworm, downloaded once into the cache. */
function cleanRoot(dir: string): void {
  if (!existsSync(TARBALL)) {
    mkdirSync(CACHE, { recursive: true });
    const partial = `${TARBALL}.${process.pid}.tgz`;
    const scratch = mkdtempSync(join(tmpdir(), 'kts-debootstrap-'));
    try {
      must('debootstrap', ['--variant=minbase', `--make-tarball=${partial}`, 'bookworm', scratch, MIRROR], 600_000);
      renameSync(partial, TARBALL);
    } finally {
      rmSync(scratch, { recursive: true, force: true });
      rmSync(partial, { force: true });
    }
  }
  must('debootstrap', ['--variant=minbase', `--unpack-tarball=${TARBALL}`, 'bookworm', dir, MIRROR], 300_000);
}

/**
 * The shell line that runs `command` chrooted in `root`, with the kernel's file systems
 * mounted (in the caller's mount namespace) and only ENV for environment.
 */
const inRoot = (root: string, command: string): string =>
  `mount -t proc proc ${root}/proc && mount --rbind /dev ${root}/dev && mount -t sysfs sys ${root}/sys && `
  + `exec env -i ${Object.entries(ENV).map(([k, v]) => `${k}=${v}`).join(' ')} chroot ${root} ${command}`;

describe.skipIf(skipUnless(isRoot, 'root'))('the Debian package on a clean Debian 12 root', () => {
  let tmp: string;
  let root: string;
  let lab: NetLab;
  const daemons: LineWatch[] = [];

  beforeAll(() => {
    tmp = mkdtempSync(join(tmpdir(), 'kts-deb-'));
    // built with this machine's node and npm (the package carries that node)
    const deb = must('scripts/build-deb.sh', [join(tmp, 'out')], 300_000, process.env).trim().split('\n').pop()!;
    root = join(tmp, 'root');
    cleanRoot(root);
    writeFileSync(join(root, 'tmp', 'keepalived-ts.deb'), readFileSync(deb));
    lab = new NetLab('ktsdeb');
    lab.addHost({ name: 'd1', addresses: ['10.68.0.11/24'] });
    lab.addHost({ name: 'd2', addresses: ['10.68.0.12/24'] });
    lab.addHost({ name: 'c', addresses: ['10.68.0.100/24'] });
  }, 900_000);
  afterAll(async () => {
    for (const d of daemons) d.child.kill('SIGKILL');
    await lab?.destroy();
    // nothing is mounted under the root from here (see inRoot), so it goes as plain files
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  it('installs with dpkg alone, on a root with no compiler, no make, no python and no Node', () => {
    const tools = run('chroot', [root, 'sh', '-c', 'command -v cc gcc make python3 node nodejs']);
    expect(tools.out.trim()).toBe('');
    expect(must('chroot', [root, 'dpkg', '-i', '/tmp/keepalived-ts.deb'])).toMatch(/Setting up keepalived-ts \(0\.1\.0-1\)/);
    for (const f of ['usr/bin/keepalived-ts', 'lib/systemd/system/keepalived-ts.service', 'lib/systemd/system/keepalived-ts-realserver.service',
      'usr/share/man/man8/keepalived-ts.8.gz', 'usr/share/man/man5/keepalived-ts-settings.5.gz', 'usr/share/doc/keepalived-ts/migrating.md',
      'usr/lib/keepalived-ts/libexec/keepalived']) {
      expect(existsSync(join(root, f)), f).toBe(true);
    }
    const conffiles = must('chroot', [root, 'dpkg-query', '-W', '-f=${Conffiles}', 'keepalived-ts']);
    for (const f of ['/etc/default/keepalived-ts', '/etc/default/keepalived-ts-realserver', '/etc/keepalived/keepalived-ts.conf']) expect(conffiles).toContain(f);
    expect(must('chroot', [root, 'keepalived-ts', '-v'])).toMatch(/^keepalived-ts v0\.1\.0, compatible with Keepalived v2\.2\.7/);
    // keepalived-exporter's `keepalived`, on the bundled runtime too
    expect(must('chroot', [root, '/usr/lib/keepalived-ts/libexec/keepalived', '-v'])).toMatch(/^Keepalived v2\.2\.7 /);
  });

  it('-t passes on a director configuration, and fails when the native addon cannot load', () => {
    writeFileSync(join(root, 'etc/keepalived/keepalived.conf'), directorConf({ vrid: 95, advertInt: 1, priority: 150, vips: ['10.68.0.50/24'] }));
    const t = (): { rc: number; out: string } => {
      const r = lab.exec('d1', 'sh', ['-c', inRoot(root, '/usr/bin/keepalived-ts -t -f /etc/keepalived/keepalived.conf')], 60_000);
      return { rc: r.rc, out: r.stdout + r.stderr };
    };
    expect(t()).toEqual({ rc: 0, out: '' });
    const addon = join(root, 'usr/lib/keepalived-ts/native/build/Release/kts_native.node');
    renameSync(addon, `${addon}.away`);
    try {
      const r = t();
      expect(r.rc).toBe(1);
      expect(r.out).toMatch(/native addon not built .*\[NATIVE_UNAVAILABLE\]/);
    } finally {
      renameSync(`${addon}.away`, addon);
    }
  });

  it('runs a VRRP pair from the package: the master holds the VIP for the client, the backup takes over at its stop', async () => {
    const start = (host: string, priority: number): LineWatch => {
      writeFileSync(join(root, `etc/keepalived/${host}.conf`), directorConf({ vrid: 95, advertInt: 1, priority, vips: ['10.68.0.50/24'] }));
      writeFileSync(join(root, `etc/keepalived/${host}-ts.conf`), `control_socket /run/${host}.sock\n`);
      const cmd = `/usr/bin/keepalived-ts -n -l -P -f /etc/keepalived/${host}.conf -p /run/${host}.pid -r /run/${host}-vrrp.pid --settings /etc/keepalived/${host}-ts.conf`;
      const w = new LineWatch(lab.spawn(host, 'sh', ['-c', inRoot(root, cmd)], ENV));
      daemons.push(w);
      return w;
    };
    const d1 = start('d1', 150);
    const d2 = start('d2', 100);
    await d1.waitFor(/\(VI_1\) Entering MASTER STATE/, 20_000);
    await d2.waitFor(/\(VI_1\) Entering BACKUP STATE/, 20_000);
    await waitUntil('the VIP on d1 only', () => lab.hasAddress('d1', '10.68.0.50') && !lab.hasAddress('d2', '10.68.0.50'), 10_000);
    expect(lab.exec('c', 'ping', ['-c', '1', '-W', '2', '10.68.0.50']).rc).toBe(0);
    expect(lab.neighbour('c', '10.68.0.50')).toBe(lab.host('d1').mac);
    // the bundled node runs under the daemon's name
    const pids = run('pidof', ['keepalived-ts']).out.trim().split(/\s+/).map(Number);
    expect(pids).toEqual(expect.arrayContaining([d1.child.pid, d2.child.pid]));
    expect(readFileSync(`/proc/${d1.child.pid}/comm`, 'utf8').trim()).toBe('keepalived-ts');

    const mark = d2.mark();
    d1.child.kill('SIGTERM');
    await d2.waitFor(/\(VI_1\) Entering MASTER STATE/, 10_000, mark);
    await waitUntil('the VIP on d2', () => lab.hasAddress('d2', '10.68.0.50') && !lab.hasAddress('d1', '10.68.0.50'), 10_000);
    expect(lab.exec('c', 'ping', ['-c', '1', '-W', '2', '10.68.0.50']).rc).toBe(0);
    d2.child.kill('SIGTERM');
    await waitUntil('d2 stopped', () => d2.exited, 15_000);
  });

  it('is removed and purged by dpkg, leaving nothing of its own', () => {
    must('chroot', [root, 'dpkg', '--purge', 'keepalived-ts']);
    for (const f of ['usr/bin/keepalived-ts', 'usr/lib/keepalived-ts', 'etc/default/keepalived-ts', 'etc/keepalived/keepalived-ts.conf']) {
      expect(existsSync(join(root, f)), f).toBe(false);
    }
  });
});
