/**
 * The command line of `keepalived-ts realserver` (pure; errors as values, never a throw).
 */
import { err, ok, type Result } from '../util/result.js';
import { formatIp, ipEquals, parsePrefix, type IpPrefix } from '../util/ip.js';
import type { Mode } from './plan.js';
import { DEFAULT_STATE_FILE, validIfname } from './state.js';

export const REALSERVER_USAGE = [
  'Usage: keepalived-ts realserver --mode dr|tun --vip ADDR[/32|/128] [--vip ADDR ...] [--dev IF] [--state FILE] [--json]',
  '       keepalived-ts realserver --mode dr|tun --vip ADDR ... --status [--json]',
  '       keepalived-ts realserver --down [--state FILE] [--json]',
  'Prepares this host as an LVS real server: the VIPs on lo (dr) or tunl0 (tun), ARP kept quiet',
  'about them (arp_ignore=1, arp_announce=2), rp_filter off for tunl0 (tun). Idempotent.',
  '  --mode dr|tun   forwarding method of the virtual server (lb_kind DR / TUN)',
  '  --vip ADDR      a virtual IP (repeat for several); IPv6 only in dr mode',
  '  --dev IF        device for the VIPs (default lo for dr, tunl0 for tun)',
  '  --status        only report whether the host is ready (exit 0) or not (exit 1), and what is missing',
  '  --down          undo what earlier runs changed, from the state file',
  `  --state FILE    where changes are recorded (default ${DEFAULT_STATE_FILE})`,
  '  --json          machine-readable output on stdout',
].join('\n');

export interface RsArgs {
  readonly mode?: Mode;
  readonly vips: readonly IpPrefix[];
  readonly dev?: string;
  readonly status: boolean;
  readonly down: boolean;
  readonly json: boolean;
  readonly help: boolean;
  readonly stateFile: string;
}

/** Parses argv (after `realserver`). `--opt=value` and `--opt value` are both accepted. */
export function parseRealserverArgs(argv: readonly string[]): Result<RsArgs, string> {
  let mode: Mode | undefined;
  const vips: IpPrefix[] = [];
  let dev: string | undefined;
  let status = false;
  let down = false;
  let json = false;
  let help = false;
  let stateFile = DEFAULT_STATE_FILE;
  for (let i = 0; i < argv.length; i++) {
    const raw = argv[i]!;
    const eq = raw.startsWith('--') ? raw.indexOf('=') : -1;
    const name = eq === -1 ? raw : raw.slice(0, eq);
    const value = (): string | undefined => {
      if (eq !== -1) return raw.slice(eq + 1);
      const v = argv[i + 1];
      if (v === undefined || v.startsWith('--')) return undefined;
      i++;
      return v;
    };
    const takesValue = ['--mode', '--vip', '--dev', '--state'].includes(name);
    const v = takesValue ? value() : undefined;
    if (takesValue && (v === undefined || v === '')) return err(`${name} needs a value`);
    if (!takesValue && eq !== -1) return err(`${name} takes no value`);
    switch (name) {
      case '--mode':
        if (v !== 'dr' && v !== 'tun') return err(`--mode must be dr or tun, not '${v}' (NAT real servers need no preparation: their gateway is the director)`);
        if (mode !== undefined && mode !== v) return err('--mode given twice with different values');
        mode = v;
        break;
      case '--vip': {
        for (const part of v!.split(',')) {
          const p = parsePrefix(part.trim());
          if (!p) return err(`--vip ${part}: not an IPv4 or IPv6 address`);
          const host = p.family === 'inet' ? 32 : 128;
          if (p.prefixLen !== host) return err(`--vip ${part}: a real server holds a VIP as a /${host} (a wider prefix on lo would take the whole subnet)`);
          if (!vips.some((x) => ipEquals(x, p))) vips.push(p);
        }
        break;
      }
      case '--dev':
        if (!validIfname(v!)) return err(`--dev ${v}: not an interface name`);
        dev = v;
        break;
      case '--state':
        stateFile = v!;
        break;
      case '--status': status = true; break;
      case '--down': down = true; break;
      case '--json': json = true; break;
      case '-h': case '--help': help = true; break;
      default:
        return err(raw.startsWith('-') ? `unknown option ${raw}` : `unexpected argument '${raw}'`);
    }
  }
  if (help) return ok({ vips, status, down, json, help, stateFile });
  if (status && down) return err('--status and --down cannot be combined');
  // --down restores from the state file: --mode / --vip / --dev are accepted (so a unit can pass
  // the same arguments to start and stop) and not needed.
  if (!down) {
    if (mode === undefined) return err('--mode dr|tun is required');
    if (vips.length === 0) return err('at least one --vip is required');
  }
  return ok({ ...(mode ? { mode } : {}), vips, ...(dev ? { dev } : {}), status, down, json, help, stateFile });
}

export const formatVip = (p: IpPrefix): string => `${formatIp(p)}/${p.prefixLen}`;
