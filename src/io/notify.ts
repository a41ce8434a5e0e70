/**
 * State-change notifications: notify scripts and the ordered notify FIFOs, as keepalived 2.2.7
 * (vrrp/vrrp_notify.c `send_instance_notifies`, `send_group_notifies`, `send_event_notify`,
 * `notify_fifo`; lib/notify.c `fifo_open` / `fifo_close`). Checked against the real keepalived:
 * test/fixtures/notify/keepalived-2.2.7.json (scripts/capture-notify-golden.sh).
 *
 * Per event, in this order:
 * 1. the state script (`notify_master|backup|fault|stop|deleted`) with its own argv only;
 * 2. the generic `notify` script with `INSTANCE|GROUP NAME STATE PRIORITY` appended (a group's
 *    priority is 0);
 * 3. one line per FIFO, `notify_fifo` then `vrrp_notify_fifo`: `INSTANCE "VI_1" MASTER 100\n`.
 * `MASTER_RX_LOWER_PRI` runs `notify_master_rx_lower_pri` (no arguments) and writes the FIFO
 * line; `MASTER_PRIORITY` / `BACKUP_PRIORITY` only write the FIFO line. `DELETED` is notified
 * as `FAULT` unless the instance has `notify_deleted`.
 *
 * Scripts are fire-and-forget and may finish in any order (that is what the FIFO is for). An
 * instance's `notify_stop` and the generic script of a STOP event are SIGKILLed (with their
 * process group) after 1 s, as keepalived does; other notify scripts are never killed.
 * `flush()` waits, bounded, for running scripts (shutdown).
 *
 * FIFOs: created with mkfifo (mode 0644; spawning /usr/bin/mkfifo, as Node has no mkfifo) and
 * chowned to the configured user/group if missing, its `*_fifo_script` started with the FIFO
 * path as last argument, then opened O_RDWR|O_NONBLOCK|O_NOFOLLOW: we are a reader ourselves,
 * so a write never blocks; when nobody drains it and the pipe is full the line is dropped and
 * counted (keepalived ignores the failed write). `stopFifoScripts()` SIGTERMs the FIFO scripts
 * (keepalived does so before the STOP notifications, so a reader can see them and exit);
 * `close()` unlinks the FIFOs we created and closes them. A vrrp_notify_fifo with the same path
 * as notify_fifo is ignored.
 */
import { spawn } from 'node:child_process';
import { chown, lstat, open, unlink, type FileHandle } from 'node:fs/promises';
import { closeSync, constants, lstatSync, openSync, writeSync } from 'node:fs';
import type { Logger } from 'pino';
import type { MachineView } from '../config/validate.js';
import { prepareScript, runScript, type PreparedScript, type ScriptSpec } from './script-runner.js';
import type { ScriptUsers } from './users.js';

export type NotifyState = 'MASTER' | 'BACKUP' | 'FAULT' | 'STOP' | 'DELETED' | 'MASTER_RX_LOWER_PRI' | 'MASTER_PRIORITY' | 'BACKUP_PRIORITY';

export interface NotifyEvent {
  readonly scope: 'INSTANCE' | 'GROUP';
  readonly name: string;
  readonly state: NotifyState;
  readonly priority: number;
}

/** config/model.ts `VrrpInstance` fits. `notifyDeleted: true` = bare `notify_deleted`. */
export interface InstanceNotifyScripts {
  readonly name: string;
  readonly notifyMaster?: ScriptSpec;
  readonly notifyBackup?: ScriptSpec;
  readonly notifyFault?: ScriptSpec;
  readonly notifyStop?: ScriptSpec;
  readonly notifyDeleted?: ScriptSpec | true;
  readonly notify?: ScriptSpec;
  readonly notifyMasterRxLowerPri?: ScriptSpec;
}

/** config/model.ts `VrrpSyncGroup` fits. */
export interface GroupNotifyScripts {
  readonly name: string;
  readonly notifyMaster?: ScriptSpec;
  readonly notifyBackup?: ScriptSpec;
  readonly notifyFault?: ScriptSpec;
  readonly notifyStop?: ScriptSpec;
  readonly notify?: ScriptSpec;
}

/** config/model.ts `NotifyFifo` fits; `script` is its `*_fifo_script`. */
export interface FifoSpec {
  readonly path: string;
  readonly user?: string;
  readonly group?: string;
  readonly script?: ScriptSpec;
}

export interface NotifierOptions {
  readonly instances?: readonly InstanceNotifyScripts[];
  readonly groups?: readonly GroupNotifyScripts[];
  readonly notifyFifo?: FifoSpec;
  readonly vrrpNotifyFifo?: FifoSpec;
  /** the checker process's own FIFO (lvs_notify_fifo), opened as vrrp_notify_fifo is */
  readonly lvsNotifyFifo?: FifoSpec;
  /**
   * A FIFO another process of the daemon owns (the checker writes its lines into the main
   * process's notify_fifo, as keepalived's checker does): written to when it exists, never
   * created, scripted or removed here.
   */
  readonly sharedFifo?: string;
  readonly users: ScriptUsers;
  readonly log: Logger;
  readonly machine?: MachineView;
  /** Kill STOP scripts after this long (keepalived: 1 s). */
  readonly stopScriptTimeoutMs?: number;
  readonly mkfifoPath?: string;
}

type StateKey = 'notifyMaster' | 'notifyBackup' | 'notifyFault' | 'notifyStop' | 'notifyDeleted';
const STATE_KEY: Partial<Record<NotifyState, StateKey>> = {
  MASTER: 'notifyMaster', BACKUP: 'notifyBackup', FAULT: 'notifyFault', STOP: 'notifyStop', DELETED: 'notifyDeleted',
};

interface Prepared {
  readonly state: Partial<Record<StateKey, PreparedScript>>;
  readonly generic?: PreparedScript;
  readonly rxLowerPri?: PreparedScript;
  readonly notifyDeleted: boolean;
}

interface OpenFifo {
  readonly path: string;
  readonly kind: string;
  readonly fh: FileHandle;
  readonly created: boolean;
}

interface FifoScript {
  readonly kind: string;
  readonly abort: AbortController;
  readonly done: Promise<unknown>;
}

export class Notifier {
  readonly stats = { linesWritten: 0, linesDropped: 0, scriptsStarted: 0, scriptsRefused: 0 };
  private readonly instances = new Map<string, Prepared>();
  private readonly groups = new Map<string, Prepared>();
  private readonly fifos: OpenFifo[] = [];
  private readonly fifoScripts: FifoScript[] = [];
  private readonly running = new Set<Promise<unknown>>();
  private readonly log: Logger;
  private closed = false;

  private constructor(private readonly opts: NotifierOptions) {
    this.log = opts.log;
    for (const i of opts.instances ?? []) this.instances.set(i.name, this.prepare(i, i.notifyDeleted !== undefined));
    for (const g of opts.groups ?? []) this.groups.set(g.name, this.prepare(g, false));
  }

  /** Check the scripts (refusals are logged and those scripts dropped), create and open the FIFOs. */
  static async create(opts: NotifierOptions): Promise<Notifier> {
    const n = new Notifier(opts);
    if (opts.notifyFifo) await n.openFifo(opts.notifyFifo, '');
    if (opts.vrrpNotifyFifo) {
      if (opts.notifyFifo && opts.vrrpNotifyFifo.path === opts.notifyFifo.path) {
        n.log.warn({ path: opts.vrrpNotifyFifo.path }, 'vrrp_notify_fifo has the same name as notify_fifo - ignoring');
      } else await n.openFifo(opts.vrrpNotifyFifo, 'vrrp ');
    }
    if (opts.lvsNotifyFifo) {
      if (opts.lvsNotifyFifo.path === opts.sharedFifo) {
        n.log.warn({ path: opts.lvsNotifyFifo.path }, 'lvs_notify_fifo has the same name as notify_fifo - ignoring');
      } else await n.openFifo(opts.lvsNotifyFifo, 'lvs ');
    }
    return n;
  }

  /** Run the scripts and write the FIFO lines of one event. Never blocks, never throws. */
  notify(ev: NotifyEvent): void {
    const p = (ev.scope === 'INSTANCE' ? this.instances : this.groups).get(ev.name);
    let state = ev.state;
    if (state === 'DELETED' && !p?.notifyDeleted) state = 'FAULT';
    this.log.debug({ scope: ev.scope, ...(ev.scope === 'INSTANCE' ? { inst: ev.name } : { group: ev.name }), state, priority: ev.priority }, 'notify');
    if (p && !this.closed) {
      if (state === 'MASTER_RX_LOWER_PRI') {
        if (p.rxLowerPri) this.run(p.rxLowerPri, false);
      } else if (!state.endsWith('_PRIORITY')) {
        const key = STATE_KEY[state];
        const s = key ? p.state[key] : undefined;
        // keepalived times out an instance's notify_stop, not a group's
        if (s) this.run(s, state === 'STOP' && ev.scope === 'INSTANCE');
        if (p.generic) this.run({ ...p.generic, argv: [...p.generic.argv, ev.scope, ev.name, state, String(ev.priority)] }, state === 'STOP');
      }
    }
    this.writeLine(`${ev.scope} "${ev.name}" ${state} ${ev.priority}\n`);
  }

  /** One line as it is (the checker's `RS ...` / `VS ...` lines) to every FIFO. */
  line(text: string): void {
    this.writeLine(text.endsWith('\n') ? text : `${text}\n`);
  }

  /** SIGTERM the FIFO scripts (SIGKILL 1 s later), as keepalived does when it starts to stop. */
  stopFifoScripts(): void {
    for (const f of this.fifoScripts) f.abort.abort();
  }

  /** Wait for running notify scripts, at most `maxWaitMs`. */
  async flush(maxWaitMs = 2000): Promise<void> {
    if (this.running.size === 0) return;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.allSettled([...this.running]),
      new Promise((r) => { timer = setTimeout(r, maxWaitMs); }),
    ]);
    clearTimeout(timer);
  }

  /** Stop FIFO scripts, unlink the FIFOs we created and close them. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.stopFifoScripts();
    for (const f of this.fifos.splice(0)) {
      if (f.created) await unlink(f.path).catch(() => {});
      await f.fh.close().catch(() => {});
    }
    await Promise.allSettled(this.fifoScripts.map((f) => f.done));
  }

  private prepare(s: InstanceNotifyScripts | GroupNotifyScripts, notifyDeleted: boolean): Prepared {
    const one = (spec: ScriptSpec | true | undefined, what: string): PreparedScript | undefined => {
      if (spec === undefined || spec === true) return undefined;
      const p = prepareScript(spec, { users: this.opts.users, log: this.log, ...(this.opts.machine ? { machine: this.opts.machine } : {}) });
      if (p.ok) return p.value;
      this.stats.scriptsRefused++;
      this.log.error({ code: 'SCRIPT_REFUSED', kind: p.error.kind, command: spec.argv[0] }, `disabling ${s.name} ${what}: ${p.error.message}`);
      return undefined;
    };
    const state: Partial<Record<StateKey, PreparedScript>> = {};
    for (const key of ['notifyMaster', 'notifyBackup', 'notifyFault', 'notifyStop', 'notifyDeleted'] as const) {
      const p = one((s as InstanceNotifyScripts)[key], key);
      if (p) state[key] = p;
    }
    const generic = one(s.notify, 'notify');
    const rxLowerPri = one((s as InstanceNotifyScripts).notifyMasterRxLowerPri, 'notifyMasterRxLowerPri');
    return { state, notifyDeleted, ...(generic ? { generic } : {}), ...(rxLowerPri ? { rxLowerPri } : {}) };
  }

  private run(script: PreparedScript, stop: boolean): void {
    this.stats.scriptsStarted++;
    const p = runScript(script, {
      log: this.log,
      ...(stop ? { timeoutMs: this.opts.stopScriptTimeoutMs ?? 1000, timeoutSignal: 'SIGKILL' as const } : {}),
    });
    this.running.add(p);
    void p.then(() => this.running.delete(p));
  }

  private writeLine(line: string): void {
    this.attachShared();
    for (const f of this.fifos) {
      try {
        writeSync(f.fh.fd, line);
        this.stats.linesWritten++;
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        this.stats.linesDropped++;
        if (code === 'EAGAIN') this.log.debug({ path: f.path }, 'notify fifo full - line dropped');
        else this.log.warn({ path: f.path, errno: code }, 'write to notify fifo failed - line dropped');
      }
    }
  }

  /** Open the shared FIFO once it exists (the other process may create it after us). */
  private attachShared(): void {
    const path = this.opts.sharedFifo;
    if (path === undefined || this.closed || this.fifos.some((f) => f.path === path)) return;
    try {
      if (!lstatSync(path).isFIFO()) return;
      const fd = openSync(path, constants.O_RDWR | constants.O_NONBLOCK | constants.O_NOFOLLOW);
      this.fifos.push({ path, kind: 'shared ', fh: { fd, close: async () => closeSync(fd) } as unknown as FileHandle, created: false });
    } catch {
      // not there (yet): the line goes to the other FIFOs only
    }
  }

  private async openFifo(spec: FifoSpec, kind: string): Promise<void> {
    const fail = (msg: string, errno?: string) => this.log.error({ code: 'NOTIFY_FIFO', path: spec.path, errno }, msg);
    let created = false;
    const existing = await lstat(spec.path).catch((e: NodeJS.ErrnoException) => e);
    if (existing instanceof Error) {
      if ((existing as NodeJS.ErrnoException).code !== 'ENOENT') return fail(`Unable to create ${kind}notify fifo ${spec.path}`, (existing as NodeJS.ErrnoException).code);
      const rc = await this.mkfifo(spec.path);
      if (rc !== 0) return fail(`Unable to create ${kind}notify fifo ${spec.path}`, `mkfifo exit ${rc}`);
      created = true;
      if (spec.user !== undefined) {
        const c = this.opts.users.resolve({ user: spec.user, ...(spec.group !== undefined ? { group: spec.group } : {}) });
        if (!c.ok) this.log.warn({ path: spec.path, reason: c.error }, `Failed to set uid:gid for fifo ${spec.path}`);
        else await chown(spec.path, c.value.uid, c.value.gid).catch(() => this.log.warn({ path: spec.path }, `Failed to set uid:gid for fifo ${spec.path}`));
      }
    } else if (!existing.isFIFO()) {
      this.log.warn({ path: spec.path }, `${kind}notify fifo ${spec.path} exists and is not a FIFO`);
    }
    if (spec.script) this.startFifoScript(spec.script, spec.path, kind);
    let fh: FileHandle;
    try {
      fh = await open(spec.path, constants.O_RDWR | constants.O_NONBLOCK | constants.O_NOFOLLOW);
    } catch (e) {
      if (created) await unlink(spec.path).catch(() => {});
      return fail(`Unable to open ${kind}notify fifo ${spec.path}`, (e as NodeJS.ErrnoException).code);
    }
    this.fifos.push({ path: spec.path, kind, fh, created });
    this.log.info({ path: spec.path }, `${kind}notify fifo opened`);
  }

  private startFifoScript(script: ScriptSpec, path: string, kind: string): void {
    const p = prepareScript({ ...script, argv: [...script.argv, path] }, { users: this.opts.users, log: this.log, ...(this.opts.machine ? { machine: this.opts.machine } : {}) });
    if (!p.ok) {
      this.stats.scriptsRefused++;
      this.log.error({ code: 'SCRIPT_REFUSED', kind: p.error.kind, command: script.argv[0] }, `disabling ${kind}notify fifo script: ${p.error.message}`);
      return;
    }
    const abort = new AbortController();
    const done = runScript(p.value, { log: this.log, signal: abort.signal, killAfterMs: 1000 }).then((r) => {
      this.log.info({ path, status: r.code, signal: r.signal }, `${kind}notify fifo script terminated`);
    });
    this.fifoScripts.push({ kind, abort, done });
  }

  private mkfifo(path: string): Promise<number> {
    return new Promise((resolve) => {
      const c = spawn(this.opts.mkfifoPath ?? '/usr/bin/mkfifo', ['-m', '644', '--', path], { stdio: 'ignore' });
      c.on('error', () => resolve(-1));
      c.on('exit', (code) => resolve(code ?? -1));
    });
  }
}
