// No silent keyword (issue 16): every keyword of keepalived 2.2.7 either reaches code that
// honours it when the daemon runs, or is reported at `-t` and at start as not supported, with
// the reason. The walk is static: each keyword's entries in the keyword tables give the model
// fields it writes; a field counts as honoured when code outside the parsing layer, the checks
// and the dump formatters reads it (completion counts: it turns globals into what instances
// and servers run with). A keyword whose entries report themselves (`unsupported`,
// `notHonoured`, a CONFIG_UNSUPPORTED note) is loud. What the walk cannot see is listed below,
// each with the reason it is not silent.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const TABLES = ['src/config/keywords-global.ts', 'src/config/keywords-vrrp.ts', 'src/config/keywords-lvs.ts', 'src/config/keywords-bfd.ts', 'src/config/load.ts'];

/** Not parsed into a field of their own, and why that is not silence. */
const STRUCTURAL: Record<string, string> = {
  // blocks: their content is what counts, walked keyword by keyword
  global_defs: 'block', vrrp_instance: 'block', vrrp_sync_group: 'block', vrrp_script: 'block', track_file: 'block',
  vrrp_track_file: 'block', vrrp_track_process: 'block', virtual_server: 'block', virtual_server_group: 'block',
  real_server: 'block', url: 'block', SSL: 'block', authentication: 'block', group: 'the sync group members, read by the engine; a track group\'s, read by src/config/track-group.ts groupTracking',
  track_group: 'block (staticTrackGroups): its instances track the interfaces of the static entries naming it (src/daemon/engine-config.ts)',
  BFD_CHECK: 'a checker, reported as not supported when opened (keywords-lvs.ts checkerKeywords)',
  TCP_CHECK: 'a checker', HTTP_GET: 'a checker', SSL_GET: 'a checker', MISC_CHECK: 'a checker', SMTP_CHECK: 'a checker',
  DNS_CHECK: 'a checker', UDP_CHECK: 'a checker', PING_CHECK: 'a checker', FILE_CHECK: 'a checker',
  static_ipaddress: 'installed at start', static_routes: 'installed at start', static_rules: 'installed at start',
  virtual_ipaddress: 'the VIPs', virtual_ipaddress_excluded: 'the eVIPs', virtual_routes: 'installed with the VIPs', virtual_rules: 'installed with the VIPs',
  // the preprocessor
  include: 'read by the reader', include_check: 'read by the reader',
  // scheduler flags, pushed onto the service's schedFlags (read by the IPVS service)
  'flag-1': 'schedFlags', 'flag-2': 'schedFlags', 'flag-3': 'schedFlags', 'sh-port': 'schedFlags', 'sh-fallback': 'schedFlags',
  'mh-port': 'schedFlags', 'mh-fallback': 'schedFlags', ops: 'schedFlags', hashed: 'schedFlags',
  // settings read by the configuration layer itself
  instance: 'selects @-conditional lines; pidfiles, syslog ident and runtime files (src/daemon/run-identity.ts)', use_vmac: 'read by src/daemon/vmac.ts (useVmac)',
  native_ipv6: 'decides the instance family', weight: 'part of a track entry or a real server',
  user: 'the script user, read by the script runner', status_code: 'read by the HTTP checker (statusCode)',
  persistence_timeout: 'read by the IPVS service (persistenceTimeoutS)', lb_kind: 'read by the IPVS service (lbKind)',
  lvs_method: 'read by the IPVS destination (lvsMethod)', sorry_server_lvs_method: 'read by the IPVS destination (sorryServerLvsMethod)',
  script_user: 'read by the script runner (scriptUser)', lvs_sync_daemon: 'started by src/daemon/lvs-sync.ts (lvsSyncDaemon)',
  linkbeat_interfaces: 'linkbeatInterfaces, polled by src/daemon/linkbeat.ts (and checked against the machine, interfaceChecks)',
  interface_up_down_delays: 'interfaceDelays, applied by src/daemon/link-debounce.ts (and checked against the machine, interfaceChecks)',
  debug: 'an instance\'s debug level: keepalived 2.2.7 only shows it in the data dump (Debug level), as keepalived-ts does',
  notify_deleted: 'notifyDeleted (a script, or true when bare), read by src/io/notify.ts and the reload (DELETED rather than FAULT)',
  // bfd_instance (src/config/keywords-bfd.ts -> bfdInstances), run by src/daemon/bfd-runner.ts
  bfd_instance: 'bfdInstances, run by src/daemon/bfd-runner.ts (the sessions, track_bfd)',
  neighbor_ip: 'bfdInstances[].neighborIp, the session\'s peer', neighbour_ip: 'as neighbor_ip',
  passive: 'bfdInstances[].passive, read by src/daemon/bfd-runner.ts', vrrp: 'bfdInstances[].vrrp: src/daemon/engine-config.ts bfdWeight',
  checker: 'bfdInstances[].checker (which processes hear of a session)', hoplimit: 'as ttl (bfdInstances[].ttl)',
  reload_check_config: 'keepalived-ts always checks a new configuration before applying it (a reload that cannot run is refused)',
  net_namespace: 'entered before anything starts (src/io/netns.ts; pidfiles and names: src/daemon/run-identity.ts)',
  // garp_group: the block (garpGroups) and its interface list, read by src/daemon/garp.ts garpSpacing
  garp_group: 'block (garpGroups), src/daemon/garp.ts garpSpacing', interfaces: 'garp_group\'s interfaces, src/daemon/garp.ts garpSpacing',
  // built by keywords-vrrp.ts garpExtraIf (instance / global), read by src/daemon/engine-config.ts garpExtraIf
  garp_extra_if: 'garpExtraIf, src/daemon/engine-config.ts', vmac_garp_intvl: 'as garp_extra_if (deprecated name)',
  vrrp_garp_extra_if: 'vrrpGarpExtraIf, src/daemon/engine-config.ts', vrrp_vmac_garp_intvl: 'as vrrp_garp_extra_if (deprecated name)',
  // the LVS globals, set by functions of keywords-global.ts the walk does not follow
  lvs_timeouts: 'lvsTimeouts, set by src/daemon/check-daemon.ts applyTimeouts',
  lvs_flush_on_stop: 'lvsFlushOnStop, read by src/daemon/check-daemon.ts stop', lvs_flush_onstop: 'as lvs_flush_on_stop',
  child_wait_time: 'globalDefs.childWaitTimeMs (a top-level keyword), read by src/daemon/main.ts when it stops the checker child',
  // built per kind by keywords-global.ts lifecycleScript / lifecycleTimeout
  startup_script: 'startupScript, run by src/daemon/lifecycle-scripts.ts', shutdown_script: 'shutdownScript, as startup_script',
  startup_script_timeout: 'startupScriptTimeoutS, src/daemon/lifecycle-scripts.ts', shutdown_script_timeout: 'shutdownScriptTimeoutS, as startup_script_timeout',
  // vrrp_rt_priority and the other scheduling keywords are built per process (schedKeywords)
  vrrp_rt_priority: 'src/io/sched.ts', checker_rt_priority: 'src/io/sched.ts', vrrp_rlimit_rttime: 'src/io/sched.ts',
  checker_rlimit_rttime: 'src/io/sched.ts', vrrp_rlimit_rtime: 'src/io/sched.ts', checker_rlimit_rtime: 'src/io/sched.ts',
  vrrp_cpu_affinity: 'src/io/sched.ts', checker_cpu_affinity: 'src/io/sched.ts',
};

interface Entry { readonly name: string; readonly fields: readonly string[]; readonly loud: boolean }

function entries(): Entry[] {
  const out: Entry[] = [];
  for (const f of TABLES) {
    const text = readFileSync(f, 'utf8');
    const starts = [...text.matchAll(/^(\s+)([A-Za-z_][A-Za-z0-9_]*|'[^']+'): (.*)$/gm)]
      .map((m) => ({ idx: m.index, indent: m[1]!.length, name: m[2]!.replace(/'/g, ''), rest: m[3]! }));
    const unsupportedList = [...text.matchAll(/const UNSUPPORTED_\w+ = \[([\s\S]*?)\];/g)].flatMap((m) => [...m[1]!.matchAll(/'([\w$]+)'/g)].map((x) => x[1]!));
    for (const name of unsupportedList) out.push({ name, fields: [], loud: true });
    for (let i = 0; i < starts.length; i++) {
      const s = starts[i]!;
      if (s.name === 'sub' || s.name === 'open' || s.name === 'close' || s.name === 'handler') continue;
      const end = starts.slice(i + 1).find((t) => t.indent <= s.indent)?.idx ?? text.length;
      const body = text.slice(s.idx, end);
      const fields = new Set<string>();
      // a constructor, with type arguments or without: `int('field'`, `int<D, 1 | 2>('field'`
      const ctor = /^\w+(?:<[^>]*>)?\('(\w+)'/.exec(s.rest);
      if (ctor) fields.add(ctor[1]!);
      for (const a of body.matchAll(/\bd\.(\w+)\s*(?:=|\?\?=)/g)) fields.add(a[1]!);
      const loud = /\b(unsupported|unsupportedBlock|notHonoured)\(|noteUnsupported|CONFIG_UNSUPPORTED/.test(s.rest + body.slice(0, 400));
      out.push({ name: s.name, fields: [...fields], loud });
      // the sub-keywords of a loud block are as loud as it is (named in the entry or in a list it uses)
      if (loud) {
        const head = body.slice(0, 400);
        for (const q of head.matchAll(/'([a-z_0-9]+)'/g)) out.push({ name: q[1]!, fields: [], loud: true });
        for (const c of head.matchAll(/\b([A-Z_]+_KEYWORDS)\b/g)) {
          const list = new RegExp(`const ${c[1]} = \\[([^\\]]*)\\]`).exec(text)?.[1] ?? '';
          for (const q of list.matchAll(/'([a-z_0-9]+)'/g)) out.push({ name: q[1]!, fields: [], loud: true });
        }
      }
    }
    // keywords of inline tables: `name: ctor('field')` on one line with others
    for (const m of text.matchAll(/[{,] (\w+): (\w+)\('(\w+)'\)/g)) out.push({ name: m[1]!, fields: [m[3]!], loud: m[2] === 'unsupported' });
  }
  return out;
}

const walk = (d: string): string[] => readdirSync(d).flatMap((n) => (statSync(join(d, n)).isDirectory() ? walk(join(d, n)) : [join(d, n)]));
/** Code that runs the configuration: not the parsing layer, the checks, the dumps or the lab. */
const runtimeCode = walk('src')
  .filter((f) => f.endsWith('.ts') && !/grammar\.generated/.test(f))
  .filter((f) => !TABLES.includes(f) && !/src\/config\/(kw|validate|parser|reader|line|lex|entries|params|suggest|glob|config-files|diagnostics|machine)\.ts$/.test(f))
  .filter((f) => !/src\/(dump\/|control\/status-doc|daemon\/(view|print-config))/.test(f) && !f.startsWith('src/lab/'))
  .map((f) => readFileSync(f, 'utf8'))
  .join('\n');

const vocabulary = readFileSync('test/fixtures/config/keywords-2.2.7.txt', 'utf8').split('\n').filter((l) => l && !l.startsWith('#'));

describe('no silent keyword', () => {
  const all = entries();
  const byName = new Map<string, Entry[]>();
  for (const e of all) byName.set(e.name, [...(byName.get(e.name) ?? []), e]);

  it('every keyword of keepalived 2.2.7 is honoured at run time or reported as not supported', () => {
    const silent: string[] = [];
    for (const k of vocabulary) {
      if (STRUCTURAL[k] !== undefined) continue;
      const es = byName.get(k) ?? [];
      if (es.length === 0) { silent.push(`${k}: no entry found in the keyword tables`); continue; }
      if (es.some((e) => e.loud)) continue;
      const fields = [...new Set(es.flatMap((e) => e.fields))];
      if (fields.length === 0) { silent.push(`${k}: writes no field the walk can see`); continue; }
      if (!fields.some((f) => new RegExp(`\\.${f}\\b|'${f}'`).test(runtimeCode))) silent.push(`${k} -> ${fields.join(', ')}: read by nothing at run time`);
    }
    expect(silent).toEqual([]);
  });

  it('lists only keywords of the vocabulary as structural', () => {
    expect(Object.keys(STRUCTURAL).filter((k) => !vocabulary.includes(k) && k !== 'include')).toEqual([]);
  });
});
