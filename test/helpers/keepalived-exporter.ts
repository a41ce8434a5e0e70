// The rules of keepalived-exporter (github.com/mehdy/keepalived-exporter) in TypeScript, as a
// test oracle, written from its behaviour (internal/collector/parser.go and setter.go for the
// files; internal/types/host and internal/types/utils for the commands). On the host it:
//   1. runs `bash -c "keepalived -v"` once at start and reads the version from the first line
//      of its stderr (parseVersion). No version: a warning, then "assume the latest".
//   2. for a version >= 1.3.8 (or none) runs `bash -c "keepalived --signum=NAME"` for DATA and
//      STATS, and JSON with -ka.json; stdout must be one JSON integer and the exit status 0,
//      else the exporter exits (parseSigNum). Older versions: USR1 / USR2, and no JSON at all.
//   3. with -ka.json runs `keepalived --version` (PATH lookup) and needs "--enable-json" in
//      its stdout + stderr (hasJsonSignalSupport).
//   4. on each scrape reads the pid from -ka.pid-path (/var/run/keepalived.pid: digits and at
//      most one trailing newline), sends STATS then DATA (or JSON alone), and at once reads
//      /tmp/keepalived.stats and /tmp/keepalived.data (or /tmp/keepalived.json), retrying for
//      up to 2 s while a read or a parse fails (scrape()).
// `keepalived` is found on PATH in all three commands; there is no flag for its path.
// The functions throw where the exporter returns an error (an unknown state, a number that
// does not parse), which makes the scrape fail; what it only logs is returned as undefined.

import { spawnSync } from 'node:child_process';

/** The exporter's VRRP states, by number. */
export const EXPORTER_STATES = ['INIT', 'BACKUP', 'MASTER', 'FAULT'] as const;

export interface ExporterData {
  iname: string;
  state: number;
  wantstate: number;
  intf: string;
  garpDelay: number;
  vrid: number;
  vips: string[];
  /** "Virtual IP Excluded" lines: keepalived_vrrp_excluded_state */
  excludedVips: string[];
}

export interface ExporterStats {
  advertRcvd: number; advertSent: number; becomeMaster: number; releaseMaster: number;
  packetLenErr: number; advertIntervalErr: number; ipTtlErr: number; invalidTypeRcvd: number;
  addrListErr: number; invalidAuthType: number; authTypeMismatch: number; authFailure: number;
  priZeroRcvd: number; priZeroSent: number;
}

/** Go's strconv.Atoi: an optional sign and decimal digits, nothing else. */
function atoi(text: string, what: string): number {
  if (!/^[+-]?\d+$/.test(text)) throw new Error(`exporter: ${what}: strconv.Atoi: parsing "${text}": invalid syntax`);
  return Number(text);
}

function stateNumber(text: string, what: string): number {
  const i = (EXPORTER_STATES as readonly string[]).indexOf(text);
  if (i < 0) throw new Error(`exporter: unknown ${what} found: ${text}`);
  return i;
}

const trim = (s: string): string => s.replace(/^[\s]+|[\s]+$/g, '');

/**
 * ParseVRRPData: " VRRP Instance = NAME" starts an instance; lines indented 3 spaces are
 * "Key = value" (or "Key: value"), lines indented 5 continue the last key (the addresses under
 * "Virtual IP (N):" and "Virtual IP Excluded :"). Any other line ends the instance, except
 * " VRRP Version" and " VRRP Script" lines, which leave it open.
 */
export function parseVrrpData(text: string): Map<string, ExporterData> {
  const out = new Map<string, ExporterData>();
  let instance = '';
  let key = '';
  let val = '';
  for (const l of text.split('\n')) {
    if (l.startsWith(' VRRP Instance') && l.includes('=')) {
      instance = trim(trim(l).split('=')[1]!);
      out.set(instance, { iname: instance, state: 0, wantstate: 0, intf: '', garpDelay: 0, vrid: 0, vips: [], excludedVips: [] });
    } else if (l.startsWith('   ') && instance !== '') {
      if (l.startsWith('     ')) val = trim(l);
      else {
        let parts: string[];
        if (l.includes('=')) parts = trim(l).split('=');
        else if (l.includes(':')) parts = trim(l).split(':');
        else continue;
        key = trim(parts[0]!);
        if (key === 'Virtual IP') continue;
        val = trim(parts[1]!);
      }
      const d = out.get(instance)!;
      if ((key.startsWith('Virtual IP (') || key === 'Virtual IP') && val !== '') d.vips.push(trim(val));
      if (key.startsWith('Virtual IP Excluded') && val !== '') d.excludedVips.push(trim(val));
      switch (key) {
        case 'State': d.state = stateNumber(val, 'state'); break;
        case 'Wantstate': d.wantstate = stateNumber(val, 'wantstate'); break;
        case 'Interface': case 'Listening device': d.intf = val; break;
        case 'Gratuitous ARP delay': d.garpDelay = atoi(val, 'GArpDelay'); break;
        case 'Virtual Router ID': d.vrid = atoi(val, 'vrid'); break;
        default: break;
      }
    } else if (l.startsWith(' VRRP Version') || l.startsWith(' VRRP Script')) {
      continue;
    } else instance = '';
  }
  return out;
}

const STAT_KEYS: Record<string, Record<string, keyof ExporterStats>> = {
  'Advertisements': { Received: 'advertRcvd', Sent: 'advertSent' },
  'Packet Errors': {
    'Length': 'packetLenErr', 'TTL': 'ipTtlErr', 'Invalid Type': 'invalidTypeRcvd',
    'Advertisement Interval': 'advertIntervalErr', 'Address List': 'addrListErr',
  },
  'Authentication Errors': { 'Invalid Type': 'invalidAuthType', 'Type Mismatch': 'authTypeMismatch', 'Failure': 'authFailure' },
  'Priority Zero': { Received: 'priZeroRcvd', Sent: 'priZeroSent' },
};

/** ParseStats: "VRRP Instance: NAME", "  Section:", "    Key: n", "  Key: n". */
export function parseStats(text: string): Map<string, ExporterStats> {
  const out = new Map<string, ExporterStats>();
  let instance = '';
  let section = '';
  const zero = (): ExporterStats => ({
    advertRcvd: 0, advertSent: 0, becomeMaster: 0, releaseMaster: 0, packetLenErr: 0, advertIntervalErr: 0,
    ipTtlErr: 0, invalidTypeRcvd: 0, addrListErr: 0, invalidAuthType: 0, authTypeMismatch: 0, authFailure: 0,
    priZeroRcvd: 0, priZeroSent: 0,
  });
  for (const l of text.split('\n')) {
    if (l.startsWith('VRRP Instance') && l.includes(':')) {
      instance = trim(trim(l).split(':')[1]!);
      out.set(instance, zero());
    } else if (l.startsWith('  ') && l.endsWith(':')) {
      section = trim(trim(l).split(':')[0]!);
    } else if (l.startsWith('    ') && section !== '') {
      const parts = trim(l).split(':');
      const key = trim(parts[0]!);
      const value = atoi(trim(parts[1] ?? ''), key);
      const field = STAT_KEYS[section]?.[key];
      if (field) out.get(instance)![field] = value;
    } else if (l.startsWith('  ') && !l.endsWith(':') && !l.startsWith('    ')) {
      const parts = trim(l).split(':');
      const key = trim(parts[0]!);
      const value = atoi(trim(parts[1] ?? ''), key);
      section = '';
      if (key === 'Became master') out.get(instance)!.becomeMaster = value;
      else if (key === 'Released master') out.get(instance)!.releaseMaster = value;
    }
  }
  return out;
}

/** The exporter's script statuses and states, by number (keepalived_script_status / _state). */
export const EXPORTER_SCRIPT_STATUSES = ['BAD', 'GOOD'] as const;
export const EXPORTER_SCRIPT_STATES = ['idle', 'running', 'requested termination', 'forcing termination'] as const;

export interface ExporterScript {
  name: string;
  /** "Status = " as written; statusNumber() gives the metric */
  status: string;
  /** "State = " as written; stateNumber() gives the metric */
  state: string;
}

/**
 * ParseVRRPScript, over the whole of keepalived.data: " VRRP Script = NAME" starts a script;
 * its lines indented 3 spaces with "=" give "Status" and "State" (the last of each wins); a
 * line indented less than 4 spaces that is neither ends it. It never fails: an unknown status
 * or state only loses its metric (the exporter logs a warning).
 */
export function parseVrrpScripts(text: string): ExporterScript[] {
  const out: ExporterScript[] = [];
  let script: ExporterScript = { name: '', status: '', state: '' };
  const close = (): void => {
    if (script.name !== '') out.push(script);
    script = { name: '', status: '', state: '' };
  };
  for (const l of text.split('\n')) {
    if (l.startsWith(' VRRP Script') && l.includes('=')) {
      close();
      script.name = trim(trim(l).split('=')[1]!);
    } else if (l.startsWith('   ') && script.name !== '') {
      if (!l.includes('=')) continue;
      const parts = trim(l).split('=');
      const key = trim(parts[0]!);
      const val = trim(parts[1]!);
      if (key === 'Status') script.status = val;
      else if (key === 'State') script.state = val;
    } else if (!l.startsWith('    ')) close();
  }
  close();
  return out;
}

/** keepalived_script_status: 0 BAD, 1 GOOD; undefined (no series) for anything else. */
export function scriptStatusNumber(s: ExporterScript): number | undefined {
  const i = (EXPORTER_SCRIPT_STATUSES as readonly string[]).indexOf(s.status);
  return i < 0 ? undefined : i;
}

/** keepalived_script_state (keepalived >= 1.4.0): 0 idle .. 3 forcing termination; undefined otherwise. */
export function scriptStateNumber(s: ExporterScript): number | undefined {
  const i = (EXPORTER_SCRIPT_STATES as readonly string[]).indexOf(s.state);
  return i < 0 ? undefined : i;
}

/** ParseVIP: "ADDR dev IFNAME ..." -> [address, interface]. */
export function parseVip(vip: string): [string, string] | undefined {
  const args = vip.split(' ');
  return args.length < 3 ? undefined : [args[0]!, args[2]!];
}

/**
 * ParseJSON: Go's encoding/json into the exporter's structs. Integer fields refuse a
 * fraction or a string (the decode fails), string fields refuse a number, and so on.
 */
export function parseJson(text: string): { data: ExporterData & { excludedVips: string[] }; stats: ExporterStats }[] {
  const list = JSON.parse(text) as unknown;
  if (!Array.isArray(list)) throw new Error('exporter: json: cannot unmarshal object into []VRRP');
  const int = (o: Record<string, unknown>, k: string): number => {
    const v = o[k];
    if (v === undefined || v === null) return 0;
    if (typeof v !== 'number' || !Number.isInteger(v)) throw new Error(`exporter: json: cannot unmarshal ${JSON.stringify(v)} into int field ${k}`);
    return v;
  };
  const str = (o: Record<string, unknown>, k: string): string => {
    const v = o[k];
    if (v === undefined || v === null) return '';
    if (typeof v !== 'string') throw new Error(`exporter: json: cannot unmarshal ${JSON.stringify(v)} into string field ${k}`);
    return v;
  };
  const strs = (o: Record<string, unknown>, k: string): string[] => {
    const v = o[k];
    if (v === undefined || v === null) return [];
    if (!Array.isArray(v) || v.some((x) => typeof x !== 'string')) throw new Error(`exporter: json: ${k} is not []string`);
    return v as string[];
  };
  return list.map((item: { data?: Record<string, unknown>; stats?: Record<string, unknown> }) => {
    const d = item.data ?? {};
    const s = item.stats ?? {};
    return {
      data: {
        iname: str(d, 'iname'), state: int(d, 'state'), wantstate: int(d, 'wantstate'), intf: str(d, 'ifp_ifname'),
        garpDelay: int(d, 'garp_delay'), vrid: int(d, 'vrid'), vips: strs(d, 'vips'), excludedVips: strs(d, 'evips'),
      },
      stats: {
        advertRcvd: int(s, 'advert_rcvd'), advertSent: int(s, 'advert_sent'), becomeMaster: int(s, 'become_master'),
        releaseMaster: int(s, 'release_master'), packetLenErr: int(s, 'packet_len_err'),
        advertIntervalErr: int(s, 'advert_interval_err'), ipTtlErr: int(s, 'ip_ttl_err'),
        invalidTypeRcvd: int(s, 'invalid_type_rcvd'), addrListErr: int(s, 'addr_list_err'),
        invalidAuthType: int(s, 'invalid_authtype'), authTypeMismatch: int(s, 'authtype_mismatch'),
        authFailure: int(s, 'auth_failure'), priZeroRcvd: int(s, 'pri_zero_rcvd'), priZeroSent: int(s, 'pri_zero_sent'),
      },
    };
  });
}

/** A version as hashicorp/go-version reads it: numeric segments and an optional pre-release. */
export interface ExporterVersion {
  segments: number[];
  prerelease: string;
}

const GO_VERSION = /^v?(\d+(?:\.\d+)*?)(?:-(\d+[0-9A-Za-z~-]*(?:\.[0-9A-Za-z~-]+)*)|(?:-?([A-Za-z~-]+[0-9A-Za-z~-]*(?:\.[0-9A-Za-z~-]+)*)))?(?:\+[0-9A-Za-z~-]+(?:\.[0-9A-Za-z~-]+)*)?$/;

/**
 * ParseVersion, on the stderr of `keepalived -v`: the output needs a newline; of its first
 * line, the second space-separated word without its first character ("v2.2.7" -> "2.2.7")
 * must be a version. Throws where the exporter gets no version (it then warns and assumes the
 * newest keepalived).
 */
export function parseVersion(stderr: string): ExporterVersion {
  const nl = stderr.indexOf('\n');
  if (nl < 0) throw new Error('exporter: failed to parse keepalived version output');
  const args = stderr.slice(0, nl).split(' ');
  if (args.length < 2) throw new Error('exporter: unknown keepalived version format');
  // Go's args[1][1:] on an empty word is a panic: the exporter dies at start
  if (args[1] === '') throw new Error('exporter: panic: slice bounds out of range');
  const m = GO_VERSION.exec(args[1]!.slice(1));
  if (!m) throw new Error(`exporter: failed to parse keepalived version "${args[1]!.slice(1)}"`);
  return { segments: m[1]!.split('.').map(Number), prerelease: m[2] ?? m[3] ?? '' };
}

/** go-version's GreaterThanOrEqual against a release `min` (a pre-release sorts before its release). */
function atLeast(v: ExporterVersion, min: readonly number[]): boolean {
  const n = Math.max(v.segments.length, min.length);
  for (let i = 0; i < n; i++) {
    const a = v.segments[i] ?? 0;
    const b = min[i] ?? 0;
    if (a !== b) return a > b;
  }
  return v.prerelease === '';
}

/** HasSigNumSupport: `--signum` is asked for from keepalived 1.3.8 on, or when the version is unknown. */
export function hasSigNumSupport(v: ExporterVersion | undefined): boolean {
  return v === undefined || atLeast(v, [1, 3, 8]);
}

/** HasVRRPScriptStateSupport: keepalived_script_state is exported from 1.4.0 on, or when the version is unknown. */
export function hasScriptStateSupport(v: ExporterVersion | undefined): boolean {
  return v === undefined || atLeast(v, [1, 4, 0]);
}

/** The names given to `keepalived --signum=`, in the order the exporter asks for them. */
export function signumNames(useJson: boolean): string[] {
  return useJson ? ['JSON', 'DATA', 'STATS'] : ['DATA', 'STATS'];
}

/** The signals an old keepalived (no --signum) is sent; any other name makes the exporter exit. */
export const EXPORTER_DEFAULT_SIGNALS: Readonly<Record<string, number>> = { DATA: 10, STATS: 12 };

/**
 * parseSigNum: Go's json.Unmarshal of stdout into an int64: one JSON integer with JSON white
 * space around it ("null" leaves 0). Anything else makes the exporter exit.
 */
export function parseSigNum(stdout: string): number {
  const t = stdout.replace(/^[ \t\r\n]+|[ \t\r\n]+$/g, '');
  if (t === 'null') return 0;
  if (!/^-?(?:0|[1-9]\d*)$/.test(t)) throw new Error(`exporter: error parsing signum result ${JSON.stringify(stdout)}`);
  return Number(t);
}

/** HasJSONSignalSupport: `keepalived --version` must exit 0 and print "--enable-json" (stdout and stderr together). */
export function hasJsonSignalSupport(output: string): boolean {
  return output.includes('--enable-json');
}

/** The pid file as the exporter reads it: one trailing newline removed, then strconv.Atoi. */
export function parsePidFile(text: string): number {
  return atoi(text.endsWith('\n') ? text.slice(0, -1) : text, 'pid');
}

/**
 * getKeepalivedStats without -ka.json: the scripts, stats and data of one scrape, joined by
 * instance name. Throws (the exporter retries, then reports keepalived_up 0) when the files
 * name different instances.
 */
export function scrape(data: string, stats: string): {
  vrrps: { data: ExporterData; stats: ExporterStats }[];
  scripts: ExporterScript[];
} {
  const scripts = parseVrrpScripts(data);
  const s = parseStats(stats);
  const d = parseVrrpData(data);
  if (d.size !== s.size) throw new Error('exporter: keepalived.data and keepalived.stats datas are not synced');
  const vrrps = [...d].map(([name, dv]) => {
    const sv = s.get(name);
    if (!sv) throw new Error('exporter: there is no stats found for instance');
    return { data: dv, stats: sv };
  });
  return { vrrps, scripts };
}

export interface ExporterStartUp {
  /** undefined: no version read (the exporter warns and assumes the newest keepalived) */
  readonly version: ExporterVersion | undefined;
  /** the signal numbers it will send, by name */
  readonly signals: Readonly<Record<string, number>>;
  /** whether it exports keepalived_script_state */
  readonly scriptState: boolean;
}

/**
 * The exporter's start-up on the host (NewKeepalivedHostCollectorHost, then main's JSON check)
 * with the environment `env`, whose PATH decides which `keepalived` runs. Throws where the
 * exporter exits.
 */
export function exporterStartUp(env: NodeJS.ProcessEnv, useJson: boolean): ExporterStartUp {
  const run = (file: string, args: string[]): { status: number | null; stdout: string; stderr: string; error?: Error } =>
    spawnSync(file, args, { env, encoding: 'utf8', timeout: 30_000 });
  const v = run('bash', ['-c', 'keepalived -v']);
  let version: ExporterVersion | undefined;
  if (v.status === 0) {
    try {
      version = parseVersion(v.stderr);
    } catch {
      version = undefined;
    }
  }
  const signals: Record<string, number> = {};
  for (const name of signumNames(useJson)) {
    if (!hasSigNumSupport(version)) {
      const n = EXPORTER_DEFAULT_SIGNALS[name];
      if (n === undefined) throw new Error(`exporter exits: unsupported signal for your keepalived: ${name}`);
      signals[name] = n;
      continue;
    }
    const r = run('bash', ['-c', `keepalived --signum=${name}`]);
    if (r.status !== 0) throw new Error(`exporter exits: keepalived --signum=${name} failed (${r.status}): ${r.stderr}`);
    signals[name] = parseSigNum(r.stdout);
  }
  if (useJson) {
    const r = run('keepalived', ['--version']);
    if (r.error || r.status !== 0) throw new Error(`exporter exits: keepalived --version failed: ${r.error?.message ?? r.status}`);
    if (!hasJsonSignalSupport(r.stdout + r.stderr)) throw new Error('exporter exits: keepalived does not support JSON signal');
  }
  return { version, signals, scriptState: hasScriptStateSupport(version) };
}
