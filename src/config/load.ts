/**
 * Reading a configuration: preprocess, process blocks through the keyword tables, complete
 * the model with keepalived's defaults, validate. Returns the model and every diagnostic.
 */
import { Diagnostics, type SourceLines } from './diagnostics.js';
import { globalDefaults, globalDefsTable } from './keywords-global.js';
import { openVirtualServer, parseVsgEntry, virtualServerTable } from './keywords-lvs.js';
import {
  staticKeywords,
  syncGroupTable,
  trackFileDefaults,
  trackFileTable,
  trackProcessDefaults,
  trackProcessTable,
  unsupportedVrrpBlocks,
  vrrpInstanceDefaults,
  vrrpInstanceTable,
  vrrpScriptDefaults,
  vrrpScriptTable,
  type TrackFileDraft,
  type VrrpScriptDraft,
} from './keywords-vrrp.js';
import { argSeconds, mark, need, str, table, unsupported } from './kw.js';
import type { KeepalivedConfig, SslContextConfig } from './model.js';
import { ParseCtx, type Keyword, type KeywordTable, type Mutable } from './parser.js';
import type { GarpGroupDraft, RootDraft } from './root-draft.js';
import { lineLoc, Reader, type Line, type ReaderOptions } from './reader.js';
import { complete } from './complete.js';
import { settingsTable, withRollbackAdvice } from './settings.js';
import { trackGroupKeyword } from './track-group.js';
import { fileHas } from './config-files.js';
import { CHECK_BLOCKS, inactiveIn, mergePasses, PASSES, VRRP_BLOCKS, type Pass } from './passes.js';
import { bfdInstanceKeyword } from './keywords-bfd.js';

export interface LoadResult {
  readonly config: KeepalivedConfig;
  readonly diagnostics: Diagnostics;
  readonly sources: SourceLines;
  /** LoadOptions.vrrpReading: whether the file has a checker block (virtual_server, its group, SSL) */
  readonly checkerBlocks?: boolean;
}

/**
 * A named block collected into a list of the root draft (`listField`, which `list` reads);
 * duplicates of a name are refused.
 */
function named<C extends { name?: unknown }>(listField: string, list: (root: RootDraft) => C[], sub: KeywordTable<C>, defaults: (name: string, line: Line) => C, what: string): Keyword<RootDraft, C> {
  return {
    sub,
    open: (ctx, line, root) => {
      const name = need(ctx, line, 1);
      if (name === undefined) return undefined;
      const drafts = list(root);
      if (drafts.some((d) => d.name === name)) {
        ctx.report('CONFIG_DUPLICATE', 'GENERAL_ERROR', `${what} ${name} already defined - ignoring this one`, lineLoc(line, 1));
        return undefined;
      }
      const d = defaults(name, line);
      drafts.push(d);
      ctx.define(listField, name);
      return d;
    },
  };
}

/**
 * track_file / vrrp_track_file: a block without `file` is dropped at its end (track_file.c
 * track_file_end_handler), so the instances that name it then find no such track file (their
 * track_file blocks drop the entry as they read it, keywords-vrrp.ts trackBlock).
 */
function trackFileBlock(): Keyword<RootDraft, TrackFileDraft> {
  return {
    ...named('trackFiles', (r) => r.trackFiles, trackFileTable, trackFileDefaults, 'track_file'),
    close: (ctx, d, root) => {
      if (d.file !== undefined) return;
      ctx.report('CONFIG_MISSING', 'GENERAL_ERROR', `No file set for track_file ${d.name} - ignoring`, d.loc, { row: 'track.file-no-file' });
      root.trackFiles = root.trackFiles.filter((x) => x !== d);
      ctx.undefine('trackFiles', d.name);
    },
  };
}


function vrrpScriptKeyword(): Keyword<RootDraft, VrrpScriptDraft> {
  return {
    ...named('vrrpScripts', (r) => r.vrrpScripts, vrrpScriptTable, vrrpScriptDefaults, 'vrrp_script'),
    // vrrp_vscript_end_handler drops a script without `script` at its '}' (the completion says
    // so): an entry further down then does not find it
    close: (ctx, d) => { if (d.script === undefined) ctx.undefine('vrrpScripts', d.name); },
  };
}

/** A file of the SSL block (check_parser.c handle_ssl_file): a second one replaces the first, with keepalived's words. */
function sslFile(field: keyof SslContextConfig, type: string): Keyword<Mutable<SslContextConfig>> {
  const set = str<Mutable<SslContextConfig>>(field);
  return {
    handler: (ctx, line, d) => {
      // row: lvs.ssl-replaced
      if (line.words[1] !== undefined && d[field] !== undefined) ctx.report('CONFIG_DUPLICATE', 'GENERAL_ERROR', `SSL ${type} already specified - replacing`, lineLoc(line, 0), { row: 'lvs.ssl-replaced' });
      set.handler!(ctx, line, d);
    },
  };
}

/** `garp_group { ... }`: GARP / NA spacing shared by its interfaces. */
const garpGroupKeyword: Keyword<RootDraft, GarpGroupDraft> = {
  sub: table<GarpGroupDraft>({
    garp_interval: garpGroupInterval('garpIntervalMs', 'garp_interval'),
    gna_interval: garpGroupInterval('gnaIntervalMs', 'gna_interval'),
    interface: {
      handler: (ctx, line, d) => {
        const v = need(ctx, line, 1);
        if (v !== undefined) d.interfaces.push({ name: v, loc: lineLoc(line, 1), inBlock: false });
      },
    },
    interfaces: {
      handler: (ctx, line, d) => {
        const names = ctx.readValueBlock(line).flatMap((l) => l.words.map((w, i) => ({ name: w, loc: lineLoc(l, i), inBlock: true })));
        if (names.length === 0) ctx.report('CONFIG_MISSING', 'GENERAL_ERROR', 'Warning - empty garp_group interfaces block', lineLoc(line, 0));
        d.interfaces.push(...names);
      },
    },
  }),
  open: (_ctx, line, root) => {
    const g: GarpGroupDraft = { interfaces: [], loc: lineLoc(line, 0) };
    (root.garpGroups ??= []).push(g);
    return g;
  },
  // row: vrrp.garp-group-no-delay (vrrp_parser.c garp_group_end_handler): a group without
  // either interval is dropped at its '}', its interfaces back to the global intervals
  close: (ctx, d, root) => {
    if (d.garpIntervalMs !== undefined || d.gnaIntervalMs !== undefined) return;
    const groups = root.garpGroups ?? [];
    const inBlock = (g: GarpGroupDraft) => g.interfaces.some((i) => i.inBlock);
    const aggregation = inBlock(d) ? groups.filter((g) => g !== d && inBlock(g)).length + 1 : 0;
    ctx.report('CONFIG_MISSING', 'GENERAL_ERROR', `garp group ${aggregation} does not have any delay set - removing`, d.loc, { row: 'vrrp.garp-group-no-delay' });
    root.garpGroups = groups.filter((g) => g !== d);
  },
};

/** The top-level `SSL` block: SSL_GET's client credentials. */
const sslKeyword: Keyword<RootDraft, Mutable<SslContextConfig>> = {
  sub: table<Mutable<SslContextConfig>>({
    password: sslFile('password', 'password'),
    ca: sslFile('ca', 'cafile'),
    certificate: sslFile('certificate', 'certfile'),
    key: sslFile('key', 'keyfile'),
  }),
  open: (ctx, line, root) => {
    // check_parser.c ssl_handler: a second SSL block replaces the first, with keepalived's words
    // row: lvs.ssl-replaced
    if (root.ssl !== undefined) ctx.report('CONFIG_DUPLICATE', 'GENERAL_ERROR', 'SSL context already specified - replacing', lineLoc(line, 0), { row: 'lvs.ssl-replaced' });
    const ssl: Mutable<SslContextConfig> = {};
    root.ssl = ssl;
    return ssl;
  },
};

export const topTable: KeywordTable<RootDraft> = table<RootDraft>({
  global_defs: {
    sub: withRollbackAdvice(globalDefsTable),
    open: (_ctx, line, root) => {
      const g = root.globalDefs;
      g.loc ??= lineLoc(line, 0);
      return g;
    },
  },
  ...staticKeywords,
  vrrp_script: vrrpScriptKeyword(),
  track_file: trackFileBlock(),
  vrrp_track_file: trackFileBlock(),
  vrrp_track_process: named('trackProcesses', (r) => r.trackProcesses, trackProcessTable, trackProcessDefaults, 'vrrp_track_process'),
  vrrp_sync_group: named('vrrpSyncGroups', (r) => r.vrrpSyncGroups, syncGroupTable, (name, line) => ({ name, loc: lineLoc(line, 1), group: [], trackInterface: [], trackScript: [], trackFile: [], trackProcess: [], trackBfd: [], syncGroupTrackingWeight: false }), 'vrrp sync group'),
  vrrp_instance: named('vrrpInstances', (r) => r.vrrpInstances, vrrpInstanceTable, vrrpInstanceDefaults, 'vrrp instance'),
  virtual_server_group: {
    handler: (ctx, line, root) => {
      const name = need(ctx, line, 1);
      const entries = ctx.readValueBlock(line.withWords([line.words[0]!])).flatMap((l) => parseVsgEntry(ctx, l) ?? []);
      if (name !== undefined) root.virtualServerGroups.push({ name, entries, loc: lineLoc(line, 1) });
    },
  },
  virtual_server: {
    sub: virtualServerTable,
    open: (ctx, line, root) => {
      const vs = openVirtualServer(ctx, line);
      if (vs) root.virtualServers.push(vs);
      return vs;
    },
  },
  ...unsupportedVrrpBlocks,
  track_group: trackGroupKeyword,
  garp_group: garpGroupKeyword,
  bfd_instance: bfdInstanceKeyword,
  SSL: sslKeyword,
  net_namespace: {
    handler: (ctx, line, root) => {
      const v = need(ctx, line, 1);
      if (!v) return;
      if (root.netNamespace !== undefined) return void ctx.report('CONFIG_VALUE', 'GENERAL_ERROR', `Duplicate net_namespace definition ${v} - ignoring`, lineLoc(line, 1));
      root.netNamespace = v;
    },
  },
  net_namespace_ipvs: unsupported(),
  namespace_with_ipsets: unsupported(),
  instance: {
    handler: (ctx, line, root) => {
      const v = need(ctx, line, 1);
      if (!v) return;
      if (root.instance !== undefined) return void ctx.report('CONFIG_VALUE', 'GENERAL_ERROR', `Duplicate instance definition ${v} - ignoring`, lineLoc(line, 1));
      root.instance = v;
    },
  },
  // pidfiles under /run/keepalived/ (also implied by instance and net_namespace: src/daemon/run-identity.ts)
  use_pid_dir: mark('usePidDir'),
  // every instance's interface polled as in linkbeat_interfaces (src/daemon/linkbeat.ts)
  linkbeat_use_polling: mark('linkbeatUsePolling'),
  child_wait_time: {
    handler: (ctx, line, root) => {
      const v = need(ctx, line, 1);
      if (v === undefined) return;
      if (!/^[0-9]+$/.test(v) || Number(v) > 0xffffffff) return void ctx.report('CONFIG_VALUE', 'GENERAL_ERROR', `Invalid child_wait_time ${v}`, lineLoc(line, 1));
      root.globalDefs.childWaitTimeMs = Number(v) * 1000;
    },
  },
});

export interface LoadOptions extends Omit<ReaderOptions, 'configId'> {
  readonly configId?: string;
  /** keepalived-ts's settings file (src/config/settings.ts), read after the configuration */
  readonly settingsFile?: string;
  /** Look up interfaces, users and scripts on this machine (as `keepalived -t` does). */
  readonly machine?: import('./validate.js').MachineView;
  /** Read for running (the daemon, a reload), not for `-t`: see ParseCtx.runtime. */
  readonly runtime?: boolean;
  /** -P / -C: only this process runs; the other's blocks cannot stop the reading (ParseCtx.otherProcess) */
  readonly process?: 'vrrp' | 'checker';
  /**
   * Read as keepalived's VRRP process reads (the whole daemon's VRRP process at a reload): the
   * checker's blocks are inactive keywords, skipped by counting braces and never read (the
   * checker process reads and reports them). At 50,000 real servers, reading them was most of
   * the VRRP process's reload, and on the guest's one CPU the checker's reload waited for it.
   */
  readonly vrrpReading?: boolean;
}

export function loadConfig(file: string, options: LoadOptions = {}): LoadResult {
  const diagnostics = new Diagnostics();
  const reader = new Reader(file, { ...options, configId: options.configId ?? defaultConfigId(options.machine?.hostname() ?? '') }, diagnostics);
  const ctx = new ParseCtx(reader, diagnostics, options.machine, options.vrrpReading ? new Set(CHECK_BLOCKS) : undefined, options.runtime, otherProcess(options));
  // row: parser.vrrp-process-reload
  // the skipped blocks' lines are not even split (50,000 real servers: 0.3 s -> 25 ms on a
  // host); a brace left open in them still ends in CONFIG_SYNTAX and the per-process reading below
  if (options.vrrpReading) ctx.skipWithoutLines = true;
  let root = emptyRoot();
  ctx.run(topTable, root);
  // braces that a block reader and a brace counter read differently: read as keepalived's
  // processes do, one pass each (src/config/passes.ts)
  // row: parser.stray-brace-passes
  if (diagnostics.list.some((d) => d.code === 'CONFIG_SYNTAX')) {
    const byPass = readPasses(file, options);
    root = byPass.root;
    diagnostics.list.splice(0, diagnostics.list.length, ...byPass.diagnostics.list);
  }
  if (options.settingsFile !== undefined) {
    // keepalived-ts's own settings (src/config/settings.ts), after keepalived.conf: they win
    const settings = new Reader(options.settingsFile, { ...options, configId: options.configId ?? defaultConfigId(options.machine?.hostname() ?? '') }, diagnostics);
    new ParseCtx(settings, diagnostics, options.machine, undefined, options.runtime).run(settingsTable(globalDefsTable), root.globalDefs);
  }
  const mainLoc = { file: reader.mainDisplay, line: 1, col: 1 };
  // keepalived stopped reading (a keyword without its value): it completes nothing either
  const aborted = diagnostics.list.some((d) => d.exitsWith !== undefined);
  const config = complete(root, aborted ? new Diagnostics() : diagnostics, mainLoc, options.machine, !options.vrrpReading);
  // keepalived runs its checker process when the file has a virtual_server keyword (check_parser.c
  // vs_handler sets have_checker_config in every process, main.c running_checker)
  // row: daemon.checker-config-first
  const checkerBlocks = options.vrrpReading ? ctx.inactiveSeen.has('virtual_server') : undefined;
  return { config, diagnostics, sources: reader.sources, ...(checkerBlocks !== undefined ? { checkerBlocks } : {}) };
}

function emptyRoot(): RootDraft {
  return {
    globalDefs: globalDefaults(),
    staticIpaddress: [],
    staticRoutes: [],
    staticRules: [],
    staticTrackGroups: [],
    vrrpScripts: [],
    trackFiles: [],
    trackProcesses: [],
    vrrpInstances: [],
    vrrpSyncGroups: [],
    virtualServerGroups: [],
    virtualServers: [],
    bfdInstances: [],
  };
}

/**
 * The file read once per keepalived process, each pass skipping the other processes' blocks;
 * a pass that stops the reading (a keyword without its value) ends it, as it ends keepalived.
 * The same diagnostic from several passes is kept once.
 */
function readPasses(file: string, options: LoadOptions): { root: RootDraft; diagnostics: Diagnostics } {
  const diagnostics = new Diagnostics();
  const seen = new Set<string>();
  const drafts = new Map<Pass['name'], RootDraft>();
  for (const pass of PASSES) {
    const own = new Diagnostics();
    const reader = new Reader(file, { ...options, configId: options.configId ?? defaultConfigId(options.machine?.hostname() ?? '') }, own);
    const root = emptyRoot();
    new ParseCtx(reader, own, options.machine, inactiveIn(pass, topTable.keys()), options.runtime, otherProcess(options)).run(topTable, root);
    drafts.set(pass.name, root);
    for (const d of own.list) {
      const key = `${d.code}|${d.kaClass}|${d.message}|${d.loc ? `${d.loc.file}:${d.loc.line}:${d.loc.col}` : ''}`;
      if (seen.has(key)) continue;
      seen.add(key);
      diagnostics.list.push(d);
    }
    if (own.list.some((d) => d.exitsWith !== undefined)) break;
  }
  return { root: mergePasses(emptyRoot(), drafts), diagnostics };
}

const otherProcess = (o: LoadOptions): ReadonlySet<string> | undefined =>
  (o.process === 'vrrp' ? new Set(CHECK_BLOCKS) : o.process === 'checker' ? new Set(VRRP_BLOCKS) : undefined);

/** The root-level keywords that say which daemon this is (src/daemon/run-identity.ts). */
export interface ConfigIdentity {
  readonly netNamespace?: string;
  readonly instance?: string;
  readonly usePidDir?: boolean;
}

/**
 * net_namespace, instance and use_pid_dir only: the file read as keepalived's parent reads it
 * (its global keywords; every other top-level block skipped by counting its braces), for what
 * the command needs before it starts. Reading the whole model for this read the file twice and
 * doubled `-t` and the daemon's start at large configurations. Diagnostics are not kept: the
 * full load reports them.
 */
export function loadIdentity(file: string, options: LoadOptions = {}): ConfigIdentity {
  if (!identityMayBeSet(file)) return {};
  const diagnostics = new Diagnostics();
  const reader = new Reader(file, { ...options, configId: options.configId ?? defaultConfigId(options.machine?.hostname() ?? '') }, diagnostics);
  const root = emptyRoot();
  const ctx = new ParseCtx(reader, diagnostics, options.machine, inactiveIn(PASSES[0]!, topTable.keys()), options.runtime);
  ctx.skipWithoutLines = true;
  ctx.run(topTable, root);
  return {
    ...(root.netNamespace !== undefined ? { netNamespace: root.netNamespace } : {}),
    ...(root.instance !== undefined ? { instance: root.instance } : {}),
    ...(root.usePidDir === true ? { usePidDir: true } : {}),
  };
}

/**
 * Whether the text can set the identity at all: it names one of its keywords (`instance` as a
 * word of its own, not `vrrp_instance`), or may make words the text does not show (an include,
 * a parameter, a line continued by a backslash). A large LVS-only file names none, and its
 * reading for the identity is then one search per mark instead of a pass over every line (about
 * a tenth of `-t` at 100,000 real servers).
 */
function identityMayBeSet(file: string): boolean {
  return fileHas(file, 16, (text) => {
    for (const mark of ['net_namespace', 'use_pid_dir', 'include', '$', '\\']) if (text.includes(mark)) return true;
    for (let i = text.indexOf('instance'); i !== -1; i = text.indexOf('instance', i + 1)) {
      const before = i === 0 ? 32 : text[i - 1]!;
      const after = text[i + 8] ?? 32;
      if (/[\s{}"@]/.test(String.fromCharCode(before)) && /[\s{}"#!]/.test(String.fromCharCode(after))) return true;
    }
    return false;
  });
}

/** keepalived's default config id: the host name up to its first dot. */
export function defaultConfigId(name: string): string {
  return name.split('.')[0] ?? name;
}

/**
 * garp_group's garp_interval / gna_interval: seconds with up to 6 decimals, at most INT_MAX
 * microseconds (keepalived's read_decimal_unsigned_strvec), in ms.
 */
function garpGroupInterval(field: 'garpIntervalMs' | 'gnaIntervalMs', kw: string): Keyword<GarpGroupDraft> {
  return {
    handler: (ctx, line, d) => {
      // read_decimal_unsigned with ignore_error, up to INT_MAX µs
      const ms = argSeconds(ctx, line, 1, 0, 0x7fffffff / 1e6);
      if (ms === undefined) return void ctx.report('CONFIG_VALUE', 'GENERAL_ERROR', `garp_group ${kw} '${line.words[1] ?? ''}' invalid`, lineLoc(line, 1));
      d[field] = ms;
    },
  };
}

