/**
 * `keepalived-ts handover INSTANCE|--all [--cancel]`: asks the running daemon, over its control
 * socket, to hand an instance over make-before-break (see VrrpDaemon.handover), and waits for the
 * outcome. `--cancel` lets the instance compete with its configured priority again.
 */
import { controlRequest, resolveSocket, type ControlUnreachable } from './status.js';
import type { Route } from '../control/server.js';
import type { HandoverResult } from '../daemon/vrrp-daemon.js';

const USAGE = [
  'Usage: keepalived-ts handover [--socket PATH | -f CONFIG] [--cancel] INSTANCE...|VIP...|--all',
  '  A MASTER gives way make-before-break: one priority-0 advert, its VIPs kept until the new',
  '  master is heard; then it advertises priority 1 until --cancel.',
  '  An announced VIP (announce_vip) is withdrawn from the routing daemon until --cancel: the',
  '  routers move new flows to the other directors, established ones go on here.',
].join('\n');

/** The control socket's handover route (Unix socket only: it changes state). */
export function handoverRoute(run: (instance: string, cancel: boolean) => Promise<HandoverResult>, instances: () => readonly string[]): Route {
  return {
    method: 'POST',
    path: '/handover/:instance',
    localOnly: true,
    handle: async ({ params, query }) => {
      const cancel = query.get('cancel') === '1';
      const names = params.instance === '*' ? [...instances()] : [params.instance!];
      const results = await Promise.all(names.map((n) => run(n, cancel)));
      const unknown = results.some((r) => r.result === 'unknown-instance');
      return { status: unknown ? 404 : 200, body: { results } };
    },
  };
}

export async function handoverCommand(argv: readonly string[]): Promise<number> {
  let socket: string | undefined;
  let file: string | undefined;
  let cancel = false;
  const names: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    switch (a) {
      case '--cancel': cancel = true; break;
      case '--all': names.push('*'); break;
      case '-s': case '--socket': socket = argv[++i]; break;
      case '-f': case '--use-file': file = argv[++i]; break;
      case '-h': case '--help': process.stdout.write(`${USAGE}\n`); return 0;
      default:
        if (a.startsWith('-')) {
          process.stderr.write(`handover: unknown option ${a}\n${USAGE}\n`);
          return 2;
        }
        names.push(a);
    }
  }
  if (names.length === 0) {
    process.stderr.write(`handover: name an instance (or --all)\n${USAGE}\n`);
    return 2;
  }
  const where = resolveSocket(socket, file);
  let failed = false;
  for (const name of names) {
    try {
      const reply = await controlRequest(where.path, `/handover/${encodeURIComponent(name)}${cancel ? '?cancel=1' : ''}`, { method: 'POST', timeoutMs: 30_000 });
      const body = JSON.parse(reply.body) as { results?: HandoverResult[]; error?: string };
      for (const r of body.results ?? []) {
        process.stdout.write(`${r.instance}: ${describe(r)}\n`);
        if (r.result === 'unknown-instance' || r.result === 'address-owner' || r.result === 'no-takeover') failed = true;
      }
      if (!body.results) {
        process.stderr.write(`handover: the daemon answered ${reply.status}: ${reply.body.trim()}\n`);
        failed = true;
      }
    } catch (e) {
      const code = (e as ControlUnreachable).errno;
      process.stderr.write(code === 'ENOENT' || code === 'ECONNREFUSED'
        ? `keepalived-ts is not running (no daemon answers on ${where.path})\n`
        : `handover: ${(e as Error).message}\n`);
      return 3;
    }
  }
  return failed ? 1 : 0;
}

function describe(r: HandoverResult): string {
  switch (r.result) {
    case 'handed-over': return `handed over to ${r.newMaster ?? 'the new master'} in ${r.ms} ms; now ${r.state}, advertising priority 1 until --cancel`;
    case 'no-takeover': return `nobody took over within Master_Down_Interval (${r.ms} ms); still MASTER, advertising priority 1`;
    case 'yielded': return `not MASTER (${r.state}); advertising priority 1 until --cancel`;
    case 'cancelled': return `competing with its configured priority again (${r.state})`;
    case 'unknown-instance': return 'no such instance';
    case 'address-owner': return 'priority 255 (address owner): it cannot hand over';
    case 'withdrawn': return `announcement withdrawn in ${r.ms} ms: the routers send new flows to the other directors, flows already here go on; --cancel announces it again`;
    case 'released': return r.announced ? 'announced again' : 'released; not announced now (no quorum, or its instance is not MASTER)';
  }
}
