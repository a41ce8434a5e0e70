/**
 * `keepalived-ts status [--socket PATH | -f CONFIG] [--json]`: one screen of what the running
 * daemon is doing, from GET /status on its control socket (src/control/server.ts). Exit
 * statuses as `systemctl status`: 0 running, 3 not running, 4 no permission to ask; 2 usage;
 * 1 any other failure.
 */
import { KtsError } from '../errors/index.js';
import { request } from 'node:http';
import { defaultConfigId, loadConfig } from '../config/load.js';
import { hostMachine } from '../io/host-machine.js';
import type { RealServerView } from '../daemon/check-view.js';
import { DEFAULT_CONTROL_SOCKET, type StatusDoc } from '../control/server.js';
import { runIdentity } from '../daemon/run-identity.js';

export const STATUS_USAGE = 'Usage: keepalived-ts status [--socket PATH | -f CONFIG] [--json]';

export interface ControlReply {
  readonly status: number;
  readonly body: string;
}

/** The daemon's control socket could not be reached. */
export class ControlUnreachable extends KtsError {
  /** the socket error: ENOENT, ECONNREFUSED, EACCES, ETIMEDOUT, ... */
  constructor(readonly errno: string, message: string) {
    super('CONTROL_UNREACHABLE', message);
    this.name = 'ControlUnreachable';
  }
}

/** One HTTP request on the control socket. */
export function controlRequest(socketPath: string, path: string, opts: { method?: string; body?: string; timeoutMs?: number } = {}): Promise<ControlReply> {
  return new Promise((resolve, reject) => {
    const req = request({
      socketPath, path, method: opts.method ?? 'GET',
      headers: opts.body !== undefined ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(opts.body) } : {},
    }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', (e) => reject(e));
    });
    req.setTimeout(opts.timeoutMs ?? 5000, () => req.destroy(new ControlUnreachable('ETIMEDOUT', `no answer on ${socketPath}`)));
    req.on('error', (e: NodeJS.ErrnoException) => {
      reject(e instanceof ControlUnreachable ? e : new ControlUnreachable(e.code ?? 'EIO', e.message));
    });
    req.end(opts.body);
  });
}

/** The socket to use: --socket, else the control_socket of -f CONFIG, else the default. */
export function resolveSocket(socket: string | undefined, configFile: string | undefined): { path: string; warning?: string } {
  if (socket) return { path: socket };
  if (configFile) {
    try {
      // the daemon's own default config id (its @-conditional lines): this host's name
      const r = loadConfig(configFile, { configId: defaultConfigId(hostMachine().hostname()) });
      return { path: r.config.globalDefs.controlSocket ?? runIdentity(r.config).controlSocket };
    } catch (e) {
      return { path: DEFAULT_CONTROL_SOCKET, warning: `cannot read ${configFile} (${(e as Error).message}); using ${DEFAULT_CONTROL_SOCKET}` };
    }
  }
  return { path: DEFAULT_CONTROL_SOCKET };
}

// --- rendering -----------------------------------------------------------------------------

export function formatDuration(seconds: number): string {
  let s = Math.max(0, Math.floor(seconds));
  const d = Math.floor(s / 86400);
  s -= d * 86400;
  const h = Math.floor(s / 3600);
  s -= h * 3600;
  const m = Math.floor(s / 60);
  s -= m * 60;
  if (d > 0) return `${d}d ${h}h ${m}m`;
  if (h > 0) return `${h}h ${m}m ${s}s`;
  if (m > 0) return `${m}m ${s}s`;
  return `${s}s`;
}

/** Rows of cells -> lines with columns padded to the widest cell. */
function table(rows: readonly (readonly string[])[], indent = '  '): string[] {
  const widths: number[] = [];
  for (const r of rows) r.forEach((c, i) => { widths[i] = Math.max(widths[i] ?? 0, c.length); });
  return rows.map((r) => `${indent}${r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join('  ')}`.trimEnd());
}

function rsText(rs: RealServerView): string {
  return rs.port !== undefined ? (rs.address.includes(':') ? `[${rs.address}]:${rs.port}` : `${rs.address}:${rs.port}`) : rs.address;
}

/** The screen `keepalived-ts status` prints. */
export function renderStatus(doc: StatusDoc): string {
  const out: string[] = [];
  const d = doc.daemon;
  out.push(`keepalived-ts: running (pid ${d.pid}), up ${formatDuration(d.uptimeSeconds)}, config ${d.configFile}`);
  out.push(`  reloads: ${d.reloads}${d.lastReloadAt ? ` (last ${d.lastReloadAt})` : ''}`);
  out.push('');
  out.push(`VRRP instances (${doc.instances.length})`);
  if (doc.instances.length === 0) out.push('  (none)');
  const rows = doc.instances.map((i) => [
    i.name, i.interface === i.baseInterface ? i.interface : `${i.interface}@${i.baseInterface}`, `vrid ${i.vrid}`, i.state,
    `prio ${i.priority.effective}/${i.priority.base}`,
    i.master ? `master ${i.master.address} (prio ${i.master.priority})` : i.state === 'MASTER' ? 'master: this node' : '',
  ]);
  const lines = table(rows);
  doc.instances.forEach((i, k) => {
    out.push(lines[k]!);
    if (i.vips.length > 0) out.push(`      VIPs: ${i.vips.join(', ')}`);
    if (i.excludedVips.length > 0) out.push(`      excluded VIPs: ${i.excludedVips.join(', ')}`);
  });
  if (doc.syncGroups.length > 0) {
    out.push('');
    out.push(`Sync groups (${doc.syncGroups.length})`);
    out.push(...table(doc.syncGroups.map((g) => [g.name, g.state, g.members.join(', ')])));
  }
  out.push('');
  const c = doc.checker;
  if (c.state === 'none') out.push('Health checkers: none configured');
  else if (c.state === 'unknown') out.push(`Health checkers: unknown (${c.error}; ${c.restarts} restarts)`);
  else {
    out.push(`Virtual servers (${c.virtualServers.length}); checker process pid ${c.pid}, ${c.reloads} reloads, ${c.restarts} restarts`);
    for (const vs of c.virtualServers) {
      const flags = [vs.quorumUp ? 'quorum up' : 'QUORUM DOWN', ...(vs.sorryActive ? ['sorry server active'] : []), ...(vs.suspended ? ['suspended'] : [])];
      out.push(`  ${vs.name}  ${vs.protocol} ${vs.scheduler} ${vs.lbKind}  ${flags.join(', ')}`);
      if (vs.realServers.length === 0) out.push('    (no real servers)');
      out.push(...table(vs.realServers.map((rs) => [
        rs.alive ? 'up' : 'down', rsText(rs),
        `weight ${rs.effectiveWeight}${rs.effectiveWeight !== rs.weight ? ` (of ${rs.weight})` : ''}${rs.inTable ? '' : ' not in table'}`,
        rs.checkers.map((k) => `${k.type} ${k.hasRun ? (k.up ? 'up' : 'down') : 'pending'}`).join(', ') || 'no checkers',
      ]), '    '));
    }
    if (c.announced) out.push(`Announced to the routing daemon: ${c.announced.length ? c.announced.join(', ') : 'none'}`);
    if (c.routingDaemon) {
      const d = c.routingDaemon;
      out.push(`Routing daemon: ${d.running ? `${d.running.name} (pid ${d.running.pid})` : `none running (watching ${d.watching.join(', ')})`}`);
    }
  }
  return `${out.join('\n')}\n`;
}

// --- the command ---------------------------------------------------------------------------

export interface StatusIo {
  readonly stdout: (s: string) => void;
  readonly stderr: (s: string) => void;
}

const PROCESS_IO: StatusIo = { stdout: (s) => process.stdout.write(s), stderr: (s) => process.stderr.write(s) };

export async function statusCommand(argv: readonly string[], io: StatusIo = PROCESS_IO): Promise<number> {
  let socket: string | undefined;
  let file: string | undefined;
  let asJson = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const eq = a.indexOf('=');
    const [flag, inline] = a.startsWith('--') && eq > 0 ? [a.slice(0, eq), a.slice(eq + 1)] : [a, undefined];
    const value = (): string | undefined => inline ?? argv[++i];
    switch (flag) {
      case '--json': asJson = true; break;
      case '-s': case '--socket': socket = value(); if (!socket) return usage(io, `${flag} needs a path`); break;
      case '-f': case '--use-file': file = value(); if (!file) return usage(io, `${flag} needs a file`); break;
      case '-h': case '--help': io.stdout(`${STATUS_USAGE}\n`); return 0;
      default: return usage(io, `unknown argument '${a}'`);
    }
  }
  const where = resolveSocket(socket, file);
  if (where.warning) io.stderr(`status: ${where.warning}\n`);
  let reply: ControlReply;
  try {
    reply = await controlRequest(where.path, '/status');
  } catch (e) {
    const code = (e as ControlUnreachable).errno;
    if (code === 'ENOENT' || code === 'ECONNREFUSED') {
      io.stderr(`keepalived-ts is not running (no daemon answers on ${where.path})\n`);
      return 3;
    }
    if (code === 'EACCES' || code === 'EPERM') {
      io.stderr(`permission denied on ${where.path} (the control socket is root's; try sudo)\n`);
      return 4;
    }
    io.stderr(`cannot ask the daemon on ${where.path}: ${(e as Error).message}\n`);
    return 1;
  }
  if (reply.status !== 200) {
    io.stderr(`the daemon answered ${reply.status}: ${reply.body.trim()}\n`);
    return 1;
  }
  if (asJson) {
    io.stdout(reply.body.endsWith('\n') ? reply.body : `${reply.body}\n`);
    return 0;
  }
  let doc: StatusDoc;
  try {
    doc = JSON.parse(reply.body) as StatusDoc;
  } catch {
    io.stderr(`the daemon's answer on ${where.path} is not JSON\n`);
    return 1;
  }
  io.stdout(renderStatus(doc));
  return 0;
}

function usage(io: StatusIo, msg: string): number {
  io.stderr(`status: ${msg}\n${STATUS_USAGE}\n`);
  return 2;
}
