/**
 * A throw-away user-mode Linux guest: Debian's `linux.uml` (a real 6.1 kernel as a process)
 * booted with this machine's root file system over hostfs, for everything that needs a kernel
 * with IPVS (the host kernel has none). The guest runs one bash script as init after mounting
 * its own /proc, /sys and /run, bringing loopback up and loading IPVS and the schedulers; the
 * script's output and any files it writes to `$UML_OUT` come back to the caller, and the guest
 * halts. Used by test/uml and the IPVS / checker benchmarks. Needs root, gcc (for the xstate
 * shim, native/README.md) and the user-mode-linux, kmod and ipvsadm packages.
 *
 * Everything the run creates lives in one temporary directory that is removed afterwards; the
 * guest's own /run is a tmpfs, so its network namespaces and pidfiles never reach the host.
 */
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const UML_KERNEL = '/usr/bin/linux.uml';
const UML_MODULES = '/usr/lib/uml/modules';

/** Every IPVS scheduler keepalived can name, plus the SIP persistence engine. */
export const IPVS_MODULES = [
  'ip_vs', 'ip_vs_rr', 'ip_vs_wrr', 'ip_vs_lc', 'ip_vs_wlc', 'ip_vs_lblc', 'ip_vs_lblcr', 'ip_vs_dh', 'ip_vs_sh',
  'ip_vs_mh', 'ip_vs_fo', 'ip_vs_ovf', 'ip_vs_sed', 'ip_vs_nq', 'ip_vs_pe_sip',
] as const;

export interface UmlOptions {
  /** bash run as the guest's workload, from the repository root; `$UML_OUT` is a host directory */
  readonly script: string;
  readonly memMb?: number;
  /** kill the guest after this long (default 120 s) */
  readonly timeoutMs?: number;
  /** kernel modules to load before the script (default: IPVS_MODULES plus dummy and veth) */
  readonly modules?: readonly string[];
  /** extra environment for the script */
  readonly env?: Readonly<Record<string, string>>;
}

export interface UmlRun {
  /** the script's exit code; -1 when the guest died or timed out before it finished */
  readonly rc: number;
  /** the script's stdout and stderr */
  readonly log: string;
  /** the kernel console (boot messages, panics) */
  readonly console: string;
  /** the files the script wrote to `$UML_OUT`, by name */
  readonly files: ReadonlyMap<string, string>;
  readonly timedOut: boolean;
}

export function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'native'))) return dir;
    const up = dirname(dir);
    if (up === dir) throw new Error('keepalived-ts repository root not found above ' + fileURLToPath(import.meta.url));
    dir = up;
  }
}

/** Why UML cannot run here, or undefined when it can. */
export function umlUnavailable(): string | undefined {
  if (process.getuid?.() !== 0) return 'needs root';
  if (!existsSync(UML_KERNEL)) return `${UML_KERNEL} missing (apt-get install user-mode-linux)`;
  if (!existsSync(UML_MODULES)) return `${UML_MODULES} missing`;
  return undefined;
}

/** Build (once) and return the LD_PRELOAD shim that lets linux.uml run on large-XSAVE hosts. */
export function xstateShim(): string {
  const root = repoRoot();
  const src = join(root, 'native', 'src', 'uml-xstate-shim.c');
  const out = join(root, 'native', 'build', 'uml-xstate-shim.so');
  if (existsSync(out) && statSync(out).mtimeMs >= statSync(src).mtimeMs) return out;
  mkdirSync(dirname(out), { recursive: true });
  const tmp = `${out}.${process.pid}.tmp`;
  const r = spawnSync('gcc', ['-O2', '-shared', '-fPIC', '-Wall', '-o', tmp, src, '-ldl'], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`building ${src} failed: ${r.error?.message ?? r.stderr}`);
  spawnSync('mv', ['-f', tmp, out]);
  return out;
}

function kernelRelease(): string {
  const dirs = readdirSync(UML_MODULES);
  if (dirs.length === 0) throw new Error(`no kernel module tree in ${UML_MODULES}`);
  return dirs.sort().at(-1)!;
}

function initScript(dir: string, root: string, modules: readonly string[]): string {
  return `#!/bin/bash
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export HOME=/root UML_OUT=${dir}/out LANG=C.UTF-8
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t tmpfs run /run
mkdir -p /run/netns /run/lock
mount -t tmpfs shm /dev/shm 2>/dev/null
ip link set lo up
for m in ${modules.join(' ')}; do
  modprobe -d ${dir}/modroot "$m" || echo "modprobe $m failed" >&2
done
cd ${root}
bash ${dir}/workload.sh > ${dir}/out/guest.log 2>&1
echo $? > ${dir}/rc
sync
poweroff -f
`;
}

/** Boot a guest, run `script` in it and return what it printed and wrote. Never throws for a failing script. */
export async function runUml(opts: UmlOptions): Promise<UmlRun> {
  const why = umlUnavailable();
  if (why) throw new Error(`user-mode Linux unavailable: ${why}`);
  const shim = xstateShim();
  const root = repoRoot();
  const dir = mkdtempSync(join(tmpdir(), `kts-uml-${randomBytes(3).toString('hex')}-`));
  try {
    const release = kernelRelease();
    mkdirSync(join(dir, 'out'));
    mkdirSync(join(dir, 'modroot', 'lib', 'modules'), { recursive: true });
    symlinkSync(join(UML_MODULES, release), join(dir, 'modroot', 'lib', 'modules', release));
    const modules = opts.modules ?? [...IPVS_MODULES, 'dummy', 'veth'];
    const exports = Object.entries(opts.env ?? {}).map(([k, v]) => `export ${k}=${shellQuote(v)}\n`).join('');
    writeFileSync(join(dir, 'workload.sh'), `set -u\n${exports}${opts.script}\n`);
    writeFileSync(join(dir, 'init.sh'), initScript(dir, root, modules));
    chmodSync(join(dir, 'init.sh'), 0o755);
    const args = [
      `mem=${opts.memMb ?? 768}M`, 'root=/dev/root', 'rootfstype=hostfs', 'rootflags=/', 'rw',
      `init=${join(dir, 'init.sh')}`, `uml_dir=${dir}`, `umid=kts`, 'con=null', 'con0=null,fd:1', 'quiet',
    ];
    const child = spawn(UML_KERNEL, args, {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, LD_PRELOAD: shim },
      detached: true,
      cwd: dir,
    });
    let consoleText = '';
    child.stdout.on('data', (d: Buffer) => { consoleText += d.toString('utf8'); });
    child.stderr.on('data', (d: Buffer) => { consoleText += d.toString('utf8'); });
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup(child.pid);
    }, opts.timeoutMs ?? 120_000);
    await new Promise<void>((res) => child.on('close', () => res()));
    clearTimeout(timer);
    killGroup(child.pid);
    const rcPath = join(dir, 'rc');
    const rc = existsSync(rcPath) ? Number(readFileSync(rcPath, 'utf8').trim()) : -1;
    const files = new Map<string, string>();
    for (const name of readdirSync(join(dir, 'out'))) {
      const p = join(dir, 'out', name);
      if (statSync(p).isFile()) files.set(name, readFileSync(p, 'utf8'));
    }
    return { rc, log: files.get('guest.log') ?? '', console: consoleText, files, timedOut };
  } finally {
    if (!process.env.KTS_UML_KEEP) rmSync(dir, { recursive: true, force: true });
  }
}

function shellQuote(v: string): string {
  return `'${v.replace(/'/g, `'\\''`)}'`;
}

function killGroup(pid: number | undefined): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // already gone
  }
}

/** Absolute path of the built CLI, for guest scripts (`node $(ktsBin) ...`). */
export function ktsBin(): string {
  return resolve(repoRoot(), 'dist', 'src', 'cli.js');
}
