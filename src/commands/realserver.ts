/**
 * `keepalived-ts realserver`: prepares this host as an LVS real server for DR or TUN, undoes it
 * (`--down`) or reports readiness (`--status`). The rules are in src/realserver/plan.ts (pure);
 * this module reads the host (rtnetlink, /proc/sys), carries out the plan's actions in order
 * and records each in the state file (src/realserver/state.ts) as soon as it is done, so a run
 * that fails half-way can still be undone.
 *
 * Exit statuses: 0 done / already configured / ready; 1 not ready (--status), refused, bad
 * arguments, or a failed kernel request. Messages go to stderr prefixed with the command's name;
 * `--json` prints one JSON document on stdout in every case.
 */
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { AddressEntry } from '../config/model.js';
import { ensureIpipDevice } from '../io/ipip.js';
import { createRootLogger } from '../io/logger.js';
import { Rtnl } from '../io/rtnl.js';
import { Sysctl } from '../io/rtnl-sysctl.js';
import { parseRealserverArgs, REALSERVER_USAGE, type RsArgs } from '../realserver/args.js';
import {
  conf4, describeAction, formatStatus, planRealserver, type HostSnapshot, type RsAction, type RsOptions, type RsPlan,
} from '../realserver/plan.js';
import {
  describeDown, emptyState, forgetDone, parseState, planDown, recordAction, stateIsEmpty, type AddedAddress, type DownAction, type RsState,
} from '../realserver/state.js';
import { formatIp, parseIp } from '../util/ip.js';

const NAME = 'keepalived-ts realserver';
const IFF_LOOPBACK = 0x8;
const IFA_F_SECONDARY = 0x01;

interface Host {
  readonly snap: HostSnapshot;
  readonly index: ReadonlyMap<string, number>;
}

interface Io {
  readonly rtnl: Rtnl;
  readonly sysctl: Sysctl;
}

/** Links, addresses and the ARP / rp_filter sysctls of `all`, `default` and every link. */
async function readHost(io: Io): Promise<Host> {
  const links = await io.rtnl.links();
  const addrs = await io.rtnl.addresses();
  const nameOf = new Map(links.map((l) => [l.index, l.name]));
  const sysctls = new Map<string, number>();
  for (const dev of ['all', 'default', ...links.map((l) => l.name)]) {
    for (const key of ['arp_ignore', 'arp_announce', 'rp_filter'] as const) {
      try {
        sysctls.set(conf4(dev, key), await io.sysctl.read(conf4(dev, key)));
      } catch {
        // an interface without IPv4 settings (or gone meanwhile): nothing to check there
      }
    }
  }
  return {
    index: new Map(links.map((l) => [l.name, l.index])),
    snap: {
      links: links.map((l) => ({ name: l.name, up: l.up, loopback: (l.flags & IFF_LOOPBACK) !== 0, ...(l.kind ? { kind: l.kind } : {}) })),
      addresses: addrs.flatMap((a) => {
        const dev = nameOf.get(a.index);
        if (dev === undefined) return [];
        return [{ dev, family: a.family, address: formatIp(a.address), prefixLen: a.prefixLen, secondary: (a.flags & IFA_F_SECONDARY) !== 0, ...(a.label ? { label: a.label } : {}) }];
      }),
      sysctls,
    },
  };
}

function addressEntry(a: AddedAddress): AddressEntry {
  const ip = parseIp(a.address);
  if (!ip) throw new Error(`not an address: ${a.address}`);
  return {
    loc: { file: '<realserver>', line: 0, col: 0 },
    address: { ...ip, prefixLen: a.prefixLen },
    dev: a.dev,
    ...(a.label ? { label: a.label } : {}),
    noDad: true, noPrefixRoute: false, home: false, noTrack: false, useVmac: false,
  };
}

function ifindex(host: Host, dev: string): number {
  const i = host.index.get(dev);
  if (i === undefined) throw new Error(`no device ${dev}`);
  return i;
}

function loadState(file: string): { state?: RsState; error?: string } {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return {};
    return { error: `cannot read state file ${file}: ${(e as Error).message}` };
  }
  const r = parseState(text);
  return r.ok ? { state: r.value } : { error: `state file ${file} is not usable (${r.error}); move it away to start afresh` };
}

/** Atomic: a crash never leaves half a state file. */
function saveState(file: string, st: RsState): void {
  mkdirSync(dirname(file), { recursive: true, mode: 0o755 });
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(st, null, 2) + '\n', { mode: 0o644 });
  renameSync(tmp, file);
}

const messageOf = (e: unknown): string => (e as Error)?.message ?? String(e);

class Out {
  constructor(private readonly json: boolean) {}
  /** Human text on stdout (nothing with --json). */
  say(text: string): void {
    if (!this.json) process.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
  }
  /** An error line on stderr (always: --json callers read the status and the document). */
  fail(text: string): void {
    process.stderr.write(`${NAME}: ${text}\n`);
  }
  doc(d: object): void {
    if (this.json) process.stdout.write(JSON.stringify(d, null, 2) + '\n');
  }
}

function planJson(plan: RsPlan): object {
  return { mode: plan.mode, dev: plan.dev, ready: plan.ready, checks: plan.checks, refusals: plan.refusals, needed: plan.actions.map(describeAction) };
}

async function doAction(io: Io, host: Host, a: RsAction): Promise<void> {
  switch (a.type) {
    case 'create-link': {
      const r = await ensureIpipDevice(a.dev);
      if (!r.ok) throw new Error(r.reason);
      return;
    }
    case 'link-up': return io.rtnl.setLinkUp(ifindex(host, a.dev), true);
    case 'set-sysctl': return io.sysctl.write(a.path, a.value);
    case 'add-address': return io.rtnl.addAddress(addressEntry(a), ifindex(host, a.dev));
  }
}

async function up(io: Io, args: RsArgs, out: Out): Promise<number> {
  const opts: RsOptions = { mode: args.mode!, vips: args.vips, ...(args.dev ? { dev: args.dev } : {}) };
  let host = await readHost(io);
  let plan = planRealserver(opts, host.snap);
  if (args.status) {
    out.say(formatStatus(plan));
    out.doc(planJson(plan));
    return plan.ready ? 0 : 1;
  }
  if (plan.refusals.length > 0) {
    for (const r of plan.refusals) out.fail(`refused: ${r}`);
    out.doc({ ...planJson(plan), changed: false, done: [] });
    return 1;
  }
  if (plan.ready) {
    out.say(`already configured: ${plan.mode} mode, ${args.vips.length} VIP(s) on ${plan.dev}; nothing changed`);
    out.doc({ ...planJson(plan), changed: false, done: [] });
    return 0;
  }
  const loaded = loadState(args.stateFile);
  if (loaded.error) {
    out.fail(loaded.error);
    out.doc({ ...planJson(plan), changed: false, done: [], error: loaded.error });
    return 1;
  }
  let state = loaded.state ?? emptyState(plan.mode);
  state = { ...state, mode: plan.mode };
  const done: string[] = [];
  const record = (a: RsAction): void => {
    state = recordAction(state, a);
    saveState(args.stateFile, state);
    done.push(describeAction(a));
    out.say(`  ${describeAction(a)}`);
  };
  try {
    // a device to create first: its sysctls only exist afterwards, so read and plan again
    const create = plan.actions.find((a) => a.type === 'create-link');
    if (create) {
      const before = new Set(host.index.keys());
      await doAction(io, host, create);
      host = await readHost(io);
      if (!before.has(create.dev) && host.index.has(create.dev)) record(create);
      plan = planRealserver(opts, host.snap);
      if (plan.refusals.length > 0 || plan.actions.some((a) => a.type === 'create-link')) {
        const why = plan.refusals.length ? plan.refusals : [`${create.dev} still missing after creating it`];
        for (const r of why) out.fail(`refused: ${r}`);
        out.doc({ ...planJson(plan), changed: done.length > 0, done });
        return 1;
      }
    }
    for (const a of plan.actions) {
      await doAction(io, host, a);
      record(a);
    }
  } catch (e) {
    out.fail(`${messageOf(e)}${done.length ? ` (what was done is recorded in ${args.stateFile}; --down undoes it)` : ''}`);
    out.doc({ ...planJson(plan), changed: done.length > 0, done, error: messageOf(e) });
    return 1;
  }
  host = await readHost(io);
  plan = planRealserver(opts, host.snap);
  if (!plan.ready) {
    out.fail('the host is still not ready after the changes:');
    process.stderr.write(formatStatus(plan));
  } else out.say(`ready: ${plan.mode} mode, ${args.vips.length} VIP(s) on ${plan.dev} (changes recorded in ${args.stateFile})`);
  out.doc({ ...planJson(plan), changed: true, done, stateFile: args.stateFile });
  return plan.ready ? 0 : 1;
}

async function doDown(io: Io, host: Host, a: DownAction): Promise<void> {
  switch (a.type) {
    case 'delete-address': return io.rtnl.deleteAddress(addressEntry(a.entry), ifindex(host, a.entry.dev));
    case 'set-sysctl': return io.sysctl.write(a.path, a.value);
    case 'link-down': return io.rtnl.setLinkUp(ifindex(host, a.dev), false);
    case 'delete-link': return io.rtnl.deleteLink(ifindex(host, a.dev));
  }
}

async function down(io: Io, args: RsArgs, out: Out): Promise<number> {
  const loaded = loadState(args.stateFile);
  if (loaded.error) {
    out.fail(loaded.error);
    out.doc({ restored: [], skipped: [], error: loaded.error });
    return 1;
  }
  if (!loaded.state) {
    out.say(`nothing to undo: no state file ${args.stateFile}`);
    out.doc({ restored: [], skipped: [], stateFile: args.stateFile });
    return 0;
  }
  const host = await readHost(io);
  const plan = planDown(loaded.state, host.snap);
  const done: DownAction[] = [];
  let failure: string | undefined;
  for (const a of plan.actions) {
    try {
      await doDown(io, host, a);
      done.push(a);
      out.say(`  ${describeDown(a)}`);
    } catch (e) {
      failure = `${describeDown(a)}: ${messageOf(e)}`;
      out.fail(failure);
    }
  }
  for (const s of plan.skipped) out.say(`  left alone: ${s}`);
  const left = forgetDone(loaded.state, done);
  if (failure === undefined || stateIsEmpty(left)) rmSync(args.stateFile, { force: true });
  else saveState(args.stateFile, left);
  out.say(failure === undefined ? `restored (${done.length} change(s) undone); ${args.stateFile} removed` : `not everything was restored; what is left stays in ${args.stateFile}`);
  out.doc({ restored: done.map(describeDown), skipped: plan.skipped, stateFile: args.stateFile, ...(failure ? { error: failure } : {}) });
  return failure === undefined ? 0 : 1;
}

/** `keepalived-ts realserver ...` (argv after the word `realserver`); resolves to the exit status. */
export async function realserverCommand(argv: string[]): Promise<number> {
  const parsed = parseRealserverArgs(argv);
  const json = argv.includes('--json');
  const out = new Out(json);
  if (!parsed.ok) {
    out.fail(parsed.error);
    process.stderr.write(`${REALSERVER_USAGE.split('\n').slice(0, 3).join('\n')}\n(--help for the options)\n`);
    out.doc({ error: parsed.error });
    return 1;
  }
  const args = parsed.value;
  if (args.help) {
    process.stdout.write(`${REALSERVER_USAGE}\n`);
    return 0;
  }
  if (!args.status && process.getuid?.() !== 0) {
    const msg = 'needs root: it changes addresses, devices and /proc/sys (--status works without)';
    out.fail(msg);
    out.doc({ error: msg });
    return 1;
  }
  let rtnl: Rtnl | undefined;
  try {
    rtnl = await Rtnl.open({ log: createRootLogger({ level: 'warn', format: 'readable' }).child({ mod: 'realserver' }) });
    const io: Io = { rtnl, sysctl: new Sysctl() };
    return args.down ? await down(io, args, out) : await up(io, args, out);
  } catch (e) {
    out.fail(messageOf(e));
    out.doc({ error: messageOf(e) });
    return 1;
  } finally {
    rtnl?.close();
  }
}
