/**
 * The IPVS client: the generic netlink family "IPVS" on a raw netlink socket of the `netlink`
 * package (only its raw socket is loaded; framing and attributes are src/ipvs's own).
 *
 * ```ts
 * const ipvs = await IpvsClient.open({ log });        // IPVS_UNAVAILABLE without ip_vs
 * await ipvs.getInfo();                               // { version: '1.2.1', versionCode, connTableSize }
 * const kernel = await ipvs.dump();                   // IpvsTable (services and their dests)
 * const ops = reconcile(desired, kernel, { previouslyOwned });
 * const r = await ipvs.apply(ops);                    // { applied, errors: IpvsOpError[], failed: Set<index> }
 * applyToTable(kernel, ops, r.failed);                // keep the view without dumping again
 * await ipvs.flush(); await ipvs.getTimeouts(); await ipvs.setTimeouts({ tcpS, tcpFinS, udpS });
 * await ipvs.getDaemons(); await ipvs.startDaemon(d); await ipvs.stopDaemon('MASTER');
 * ipvs.stats;                                         // { requests, batches, failedOps, malformed, overruns }
 * ipvs.close();
 * ```
 *
 * apply() is built for tables of tens of thousands of destinations: requests are packed many
 * to one sendmsg() (the kernel handles concatenated messages in order, synchronously), only the
 * last of each batch asks for an acknowledgement (a failing request is always answered), and
 * the next batch goes out when the previous one's acknowledgement is in, so the answers of one
 * batch always fit the receive buffer. Each failed operation becomes an IpvsOpError, a
 * KtsError('IPVS_REQUEST', 'NEW_DEST TCP 10.0.0.1:80 -> 10.0.1.1:80: EEXIST') with the index,
 * operation and errno; the others still apply (the caller logs the errors). A reply that cannot be decoded is counted (`stats.malformed`), logged as IPVS_REPLY
 * and skipped.
 */
import { createRequire } from 'node:module';
import { getSystemErrorName } from 'node:util';
import type { RawNetlinkSocket } from 'netlink/dist/raw.js';
import type { Logger } from 'pino';
import { KtsError } from '../errors/index.js';
import { COMMAND, CTRL, INFO } from '../ipvs/attr-spec.js';
import { decodeAttrs, encodeAttrs, NlWriter, type AttrRecord } from '../ipvs/codec.js';
import * as C from '../ipvs/constants.js';
import { beginGenl, endMessage, parseDatagram, readDone, readError, readGenl, type NlMessage } from '../ipvs/frame.js';
import { describeOp, describeService, destId, serviceId } from '../ipvs/keys.js';
import {
  daemonFromRecord, daemonRecord, destFromRecord, destStatsFromRecord, infoFromRecord, serviceFromRecord, statsFromRecord, serviceKeyRecord, timeoutsFromRecord, writeOp, writeRequest,
} from '../ipvs/messages.js';
import { tableOf } from '../ipvs/table.js';
import type { IpvsCounters, IpvsDaemon, IpvsDest, IpvsDestCounters, IpvsInfo, IpvsOp, IpvsService, IpvsTimeouts, IpvsVirtual, ServiceKey } from '../ipvs/types.js';
import { ok, type Result } from '../util/result.js';
import { rootLogger } from './logger.js';

const requireCjs = createRequire(import.meta.url);
const raw = requireCjs('netlink/dist/raw.js') as { RawNetlinkSocket: typeof RawNetlinkSocket };

export interface IpvsClientOptions {
  readonly log?: Logger;
  /** how long one request (or one batch) may wait for the kernel (default 10 s) */
  readonly timeoutMs?: number;
  /** SO_RCVBUF asked for (default 4 MiB; the kernel caps it at net.core.rmem_max) */
  readonly rcvbufBytes?: number;
  /** most operations per sendmsg (default: what the receive buffer holds if all fail, 64..1024) */
  readonly batchOps?: number;
}

/** A refused operation: KtsError('IPVS_REQUEST', 'NEW_DEST TCP 10.0.0.1:80 -> 10.0.1.1:80: EEXIST'). */
export class IpvsOpError extends KtsError {
  constructor(
    /** index of the operation in apply()'s list */
    readonly index: number,
    readonly op: IpvsOp,
    /** errno name (EEXIST, ENOENT, ...) */
    readonly errno: string,
    message: string,
  ) {
    super('IPVS_REQUEST', message);
  }
}

export interface IpvsApplyResult {
  /** operations the kernel acknowledged */
  readonly applied: number;
  readonly errors: readonly IpvsOpError[];
  /** indexes of the failed operations (for applyToTable) */
  readonly failed: ReadonlySet<number>;
}

export interface IpvsStats {
  requests: number;
  batches: number;
  failedOps: number;
  /** replies that could not be decoded (skipped) */
  malformed: number;
  /** times the kernel dropped replies for a full receive buffer (ENOBUFS) */
  overruns: number;
}

/** Worst-case receive-buffer cost of one error answer (nlmsgerr + the request + skb overhead). */
const ERROR_TRUESIZE = 1536;

type Handler = (m: NlMessage) => boolean; // true when the exchange is complete

interface Exchange {
  readonly handle: Handler;
  readonly fail: (e: KtsError) => void;
  readonly timer: NodeJS.Timeout;
}

function errnoName(errno: number): string {
  try {
    return getSystemErrorName(-errno);
  } catch {
    return `errno ${errno}`;
  }
}

export class IpvsClient {
  readonly stats: IpvsStats = { requests: 0, batches: 0, failedOps: 0, malformed: 0, overruns: 0 };
  private readonly pending = new Map<number, Exchange>();
  private readonly writer = new NlWriter(64 * 1024);
  private seq = 1;
  private chain: Promise<unknown> = Promise.resolve();
  private closed = false;

  private constructor(
    private readonly sock: RawNetlinkSocket,
    private family: number,
    private readonly log: Logger,
    private readonly timeoutMs: number,
    readonly batchOps: number,
  ) {
    sock.on('message', (b: Buffer) => this.receive(b));
    sock.on('error', (e: Error & { code?: string }) => this.socketError(e));
    sock.unref();
  }

  /** Opens the socket and finds the IPVS family; IPVS_UNAVAILABLE when the kernel has none. */
  static async open(opts: IpvsClientOptions = {}): Promise<IpvsClient> {
    const log = opts.log ?? rootLogger().child({ mod: 'ipvs' });
    let sock: RawNetlinkSocket;
    try {
      sock = new raw.RawNetlinkSocket(16 /* NETLINK_GENERIC */, { recvBufferSize: opts.rcvbufBytes ?? 4 << 20, sendBufferSize: 4 << 20 });
    } catch (e) {
      throw new KtsError('IPVS_SOCKET', `open generic netlink socket: ${(e as { code?: string }).code ?? String(e)}`, { cause: e });
    }
    const rcvbuf = sock.getRecvBufferSize();
    const batch = opts.batchOps ?? Math.max(64, Math.min(1024, Math.floor(rcvbuf / ERROR_TRUESIZE)));
    const c = new IpvsClient(sock, 0, log, opts.timeoutMs ?? 10_000, batch);
    try {
      c.family = await c.resolveFamily();
    } catch (e) {
      c.close();
      throw e;
    }
    log.debug({ family: c.family, rcvbuf, batchOps: batch }, 'IPVS generic netlink family found');
    return c;
  }

  /** One exchange at a time on the socket (the kernel runs one dump per socket, and the writer is shared). */
  private serial<T>(f: () => Promise<T>): Promise<T> {
    const run = this.chain.then(f, f);
    this.chain = run.catch(() => undefined);
    return run;
  }

  private nextSeq(): number {
    const s = this.seq;
    this.seq = this.seq >= 0xffffffff ? 1 : this.seq + 1;
    return s;
  }

  private receive(b: Buffer): void {
    const msgs = parseDatagram(b);
    if (!msgs.ok) return this.malformed('datagram', msgs.error);
    for (const m of msgs.value) {
      const ex = this.pending.get(m.seq);
      if (!ex) continue; // a late answer to a request that timed out
      let done: boolean;
      try {
        done = ex.handle(m);
      } catch (e) {
        done = true;
        ex.fail(e instanceof KtsError ? e : new KtsError('INTERNAL', String(e), { cause: e }));
      }
      if (done) this.finish(m.seq);
    }
  }

  private finish(seq: number): void {
    const ex = this.pending.get(seq);
    if (!ex) return;
    clearTimeout(ex.timer);
    this.pending.delete(seq);
    if (this.pending.size === 0 && !this.closed) this.sock.unref();
  }

  private socketError(e: Error & { code?: string }): void {
    if (e.code === 'ENOBUFS') {
      this.stats.overruns++;
      this.log.warn('IPVS replies dropped by the kernel (ENOBUFS)');
      return;
    }
    this.log.error({ err: e.message }, 'IPVS netlink socket error');
    for (const [seq, ex] of [...this.pending]) {
      this.finish(seq);
      ex.fail(new KtsError('IPVS_SOCKET', `netlink socket: ${e.code ?? e.message}`, { cause: e }));
    }
  }

  private malformed(what: string, reason: string): void {
    this.stats.malformed++;
    const e = new KtsError('IPVS_REPLY', `IPVS ${what}: ${reason}, entry skipped`);
    this.log.warn({ code: e.code, err: e.message }, 'malformed IPVS reply');
  }

  /**
   * Sends the bytes in the writer and waits, under `seq`, until `handle` says the exchange is
   * complete. `what` names it in a timeout error.
   */
  private exchange<T>(seq: number, what: string, handle: (m: NlMessage, resolve: (v: T) => void, reject: (e: KtsError) => void) => boolean): Promise<T> {
    if (this.closed) return Promise.reject(new KtsError('IPVS_SOCKET', `${what}: socket is closed`));
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.finish(seq);
        reject(new KtsError('IPVS_SOCKET', `${what}: no answer from the kernel within ${this.timeoutMs} ms`));
      }, this.timeoutMs);
      this.pending.set(seq, { handle: (m) => handle(m, resolve, reject), fail: reject, timer });
      this.sock.ref();
      const bytes = Buffer.from(this.writer.bytesWritten());
      this.sock.send(bytes, undefined, (e) => {
        if (!e) return;
        this.finish(seq);
        reject(new KtsError('IPVS_SOCKET', `${what}: sendmsg: ${e.code}`, { cause: e }));
      });
    });
  }

  private async resolveFamily(): Promise<number> {
    const w = this.writer;
    w.reset();
    const seq = this.nextSeq();
    const start = beginGenl(w, C.GENL_ID_CTRL, C.NLM_F_REQUEST, seq, C.CTRL_CMD_GETFAMILY, 1);
    encodeAttrs(w, CTRL, { familyName: C.IPVS_GENL_NAME });
    endMessage(w, start);
    return this.exchange<number>(seq, 'look up generic netlink family IPVS', (m, resolve, reject) => {
      if (m.type === C.NLMSG_ERROR) {
        const e = readError(m);
        const errno = e.ok ? e.value.errno : 0;
        if (errno === 2 /* ENOENT */) reject(new KtsError('IPVS_UNAVAILABLE', 'generic netlink family IPVS not found (modprobe ip_vs)'));
        else reject(new KtsError('IPVS_SOCKET', `look up generic netlink family IPVS: ${e.ok ? errnoName(errno) : e.error}`));
        return true;
      }
      const g = readGenl(m);
      const r = g.ok ? decodeAttrs(CTRL, g.value.attrs) : g;
      if (!r.ok || typeof r.value.familyId !== 'number') reject(new KtsError('IPVS_REPLY', `generic netlink controller reply: ${r.ok ? 'no family id' : r.error}`));
      else resolve(r.value.familyId);
      return true;
    });
  }

  /** One request answered by one message (GET_INFO, GET_CONFIG) or by an acknowledgement (NLM_F_ACK). */
  private async request(cmd: number, attrs: AttrRecord, what: string, answer: 'reply' | 'ack', topSet = COMMAND): Promise<AttrRecord | undefined> {
    const w = this.writer;
    w.reset();
    const seq = this.nextSeq();
    writeRequest(w, this.family, seq, C.NLM_F_REQUEST | (answer === 'ack' ? C.NLM_F_ACK : 0), cmd, attrs);
    this.stats.requests++;
    return this.exchange<AttrRecord | undefined>(seq, what, (m, resolve, reject) => {
      if (m.type === C.NLMSG_ERROR) {
        const e = readError(m);
        if (!e.ok) reject(new KtsError('IPVS_REPLY', `${what}: ${e.error}`));
        else if (e.value.errno !== 0) reject(new KtsError('IPVS_REQUEST', `${what}: ${errnoName(e.value.errno)}`));
        else resolve(undefined);
        return true;
      }
      const g = readGenl(m);
      const r = g.ok ? decodeAttrs(topSet, g.value.attrs) : g;
      if (!r.ok) reject(new KtsError('IPVS_REPLY', `${what}: ${r.error}`));
      else resolve(r.value);
      return true;
    });
  }

  /** A dump: every message's top-level attributes until NLMSG_DONE. */
  private async dumpRequest(cmd: number, attrs: AttrRecord, what: string, topSet = COMMAND): Promise<AttrRecord[]> {
    const w = this.writer;
    w.reset();
    const seq = this.nextSeq();
    writeRequest(w, this.family, seq, C.NLM_F_REQUEST | C.NLM_F_DUMP, cmd, attrs);
    this.stats.requests++;
    const out: AttrRecord[] = [];
    return this.exchange<AttrRecord[]>(seq, what, (m, resolve, reject) => {
      if (m.type === C.NLMSG_DONE) {
        const d = readDone(m);
        if (d.errno !== 0) reject(new KtsError('IPVS_REQUEST', `${what}: ${errnoName(d.errno)}`));
        else resolve(out);
        return true;
      }
      if (m.type === C.NLMSG_ERROR) {
        const e = readError(m);
        if (e.ok && e.value.errno === 0) return false;
        reject(e.ok ? new KtsError('IPVS_REQUEST', `${what}: ${errnoName(e.value.errno)}`) : new KtsError('IPVS_REPLY', `${what}: ${e.error}`));
        return true;
      }
      const g = readGenl(m);
      const r = g.ok ? decodeAttrs(topSet, g.value.attrs) : g;
      if (r.ok) out.push(r.value);
      else this.malformed(what, r.error);
      return false;
    });
  }

  /** The `field` of each dumped message converted; a message that does not convert is counted and skipped. */
  private entries<T>(recs: readonly AttrRecord[], field: 'service' | 'dest' | 'daemon', what: string, conv: (r: AttrRecord) => Result<T, string>): T[] {
    const out: T[] = [];
    for (const r of recs) {
      const v = r[field] ? conv(r[field] as AttrRecord) : undefined;
      if (v?.ok) out.push(v.value);
      else this.malformed(what, v ? v.error : `no ${field.toUpperCase()} attribute`);
    }
    return out;
  }

  async getInfo(): Promise<IpvsInfo> {
    const r = await this.serial(() => this.request(C.IpvsCmd.GET_INFO, {}, 'GET_INFO', 'reply', INFO));
    const g = r ? infoFromRecord(r) : undefined;
    if (!g?.ok) throw new KtsError('IPVS_REPLY', `GET_INFO: ${g ? g.error : 'no reply'}`);
    return g.value;
  }

  async dumpServices(): Promise<IpvsService[]> {
    const recs = await this.serial(() => this.dumpRequest(C.IpvsCmd.GET_SERVICE, {}, 'service dump'));
    return this.entries(recs, 'service', 'service dump', serviceFromRecord);
  }

  async dumpDests(key: ServiceKey): Promise<IpvsDest[]> {
    const what = `dest dump of ${describeService(key)}`;
    const recs = await this.serial(() => this.dumpRequest(C.IpvsCmd.GET_DEST, { service: serviceKeyRecord(key) }, what));
    const family = key.type === 'fwmark' ? key.family : key.address.family;
    return this.entries(recs, 'dest', what, (r) => destFromRecord(r, family));
  }

  /**
   * The kernel's whole table: one service dump, then one dest dump per service. A service's
   * destinations come in the order they were added, oldest first (the kernel lists the newest
   * first), as the reconciler keeps them (src/ipvs/reconcile.ts).
   */
  async dump(): Promise<Map<string, IpvsVirtual>> {
    const services = await this.dumpServices();
    const entries: { service: IpvsService; dests: IpvsDest[] }[] = [];
    for (const service of services) entries.push({ service, dests: (await this.dumpDests(service.key)).reverse() });
    return tableOf(entries);
  }

  /**
   * The counters of every service and destination (what keepalived's ipvs_update_stats reads
   * for SNMP), keyed by serviceId() and destId(). One service dump and one dest dump per service.
   */
  async dumpStats(): Promise<Map<string, { stats: IpvsCounters; dests: Map<string, IpvsDestCounters> }>> {
    const recs = await this.serial(() => this.dumpRequest(C.IpvsCmd.GET_SERVICE, {}, 'service dump'));
    // a message that does not convert is counted and skipped, as in dump()
    const services = this.entries(recs, 'service', 'service dump', (r) => {
      const s = serviceFromRecord(r);
      return s.ok ? ok({ key: s.value.key, stats: statsFromRecord(r) }) : s;
    });
    const out = new Map<string, { stats: IpvsCounters; dests: Map<string, IpvsDestCounters> }>();
    for (const { key, stats } of services) {
      const what = `dest dump of ${describeService(key)}`;
      const family = key.type === 'fwmark' ? key.family : key.address.family;
      const drecs = await this.serial(() => this.dumpRequest(C.IpvsCmd.GET_DEST, { service: serviceKeyRecord(key) }, what));
      const dests = this.entries(drecs, 'dest', what, (r) => {
        const d = destFromRecord(r, family);
        return d.ok ? ok([destId(d.value), destStatsFromRecord(r)] as const) : d;
      });
      out.set(serviceId(key), { stats, dests: new Map(dests) });
    }
    return out;
  }

  /** Applies `ops` in order, in batches; never rejects for a refused operation (see IpvsApplyResult). */
  async apply(ops: readonly IpvsOp[]): Promise<IpvsApplyResult> {
    const errors: IpvsOpError[] = [];
    const failed = new Set<number>();
    const fail = (index: number, errno: string, message: string): void => {
      const op = ops[index]!;
      errors.push(new IpvsOpError(index, op, errno, `${describeOp(op)}: ${message}`));
      failed.add(index);
      this.stats.failedOps++;
    };
    await this.serial(async () => {
      for (let i = 0; i < ops.length; i += this.batchOps) await this.applyBatch(ops, i, Math.min(ops.length, i + this.batchOps), fail);
    });
    for (const e of errors) this.log.debug({ code: e.code, op: e.op.type, errno: e.errno }, e.message);
    return { applied: ops.length - failed.size, errors, failed };
  }

  private async applyBatch(ops: readonly IpvsOp[], from: number, to: number, fail: (index: number, errno: string, message: string) => void): Promise<void> {
    const w = this.writer;
    w.reset();
    const seqIndex = new Map<number, number>();
    let lastSeq = -1;
    let lastFlagsAt = -1;
    for (let i = from; i < to; i++) {
      const seq = this.nextSeq();
      const at = w.off;
      try {
        writeOp(w, this.family, seq, C.NLM_F_REQUEST, ops[i]!);
      } catch (e) {
        w.off = at; // not sent: values the kernel could not take
        fail(i, 'EINVAL', `not sent: ${(e as Error).message}`);
        continue;
      }
      seqIndex.set(seq, i);
      lastSeq = seq;
      lastFlagsAt = at + 6;
    }
    if (lastSeq === -1) return;
    w.patchU16(lastFlagsAt, C.NLM_F_REQUEST | C.NLM_F_ACK);
    this.stats.requests += seqIndex.size;
    this.stats.batches++;
    const what = `batch of ${seqIndex.size} IPVS operations from ${describeOp(ops[from]!)}`;
    const route = (m: NlMessage): boolean => {
      const index = seqIndex.get(m.seq);
      if (index === undefined) return false;
      if (m.type !== C.NLMSG_ERROR) {
        this.malformed('answer', `message type ${m.type} to a set command`);
        return m.seq === lastSeq;
      }
      const e = readError(m);
      if (!e.ok) this.malformed('answer', e.error);
      else if (e.value.errno !== 0) fail(index, errnoName(e.value.errno), errnoName(e.value.errno));
      return m.seq === lastSeq;
    };
    // every sequence number of the batch routes to the same exchange
    const done = this.exchange<void>(lastSeq, what, (m, resolve) => {
      const last = route(m);
      if (last) resolve();
      return last;
    });
    const ex = this.pending.get(lastSeq)!;
    for (const seq of seqIndex.keys()) if (seq !== lastSeq) this.pending.set(seq, { ...ex, handle: (m) => (route(m), false) });
    try {
      await done;
    } finally {
      for (const seq of seqIndex.keys()) if (seq !== lastSeq) this.pending.delete(seq);
    }
  }

  async flush(): Promise<void> {
    await this.serial(() => this.request(C.IpvsCmd.FLUSH, {}, 'FLUSH', 'ack'));
  }

  async getTimeouts(): Promise<IpvsTimeouts> {
    const r = await this.serial(() => this.request(C.IpvsCmd.GET_CONFIG, {}, 'GET_CONFIG', 'reply'));
    const t = r ? timeoutsFromRecord(r) : undefined;
    if (!t?.ok) throw new KtsError('IPVS_REPLY', `GET_CONFIG: ${t ? t.error : 'no reply'}`);
    return t.value;
  }

  /** A 0 leaves that timeout as it is. */
  async setTimeouts(t: IpvsTimeouts): Promise<void> {
    await this.serial(() => this.request(C.IpvsCmd.SET_CONFIG, { timeoutTcp: t.tcpS, timeoutTcpFin: t.tcpFinS, timeoutUdp: t.udpS }, 'SET_CONFIG', 'ack'));
  }

  async getDaemons(): Promise<IpvsDaemon[]> {
    const recs = await this.serial(() => this.dumpRequest(C.IpvsCmd.GET_DAEMON, {}, 'daemon dump'));
    return this.entries(recs, 'daemon', 'daemon dump', daemonFromRecord);
  }

  async startDaemon(d: IpvsDaemon): Promise<void> {
    await this.serial(() => this.request(C.IpvsCmd.NEW_DAEMON, { daemon: daemonRecord(d) }, `NEW_DAEMON ${d.state} ${d.mcastIfn} syncid ${d.syncId}`, 'ack'));
  }

  async stopDaemon(state: 'MASTER' | 'BACKUP'): Promise<void> {
    const daemon = { state: state === 'MASTER' ? C.IPVS_STATE_MASTER : C.IPVS_STATE_BACKUP };
    await this.serial(() => this.request(C.IpvsCmd.DEL_DAEMON, { daemon }, `DEL_DAEMON ${state}`, 'ack'));
  }

  /** Closes the socket; pending requests fail with IPVS_SOCKET. Idempotent. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const [seq, ex] of [...this.pending]) {
      this.finish(seq);
      ex.fail(new KtsError('IPVS_SOCKET', 'IPVS client closed'));
    }
    try {
      this.sock.close();
    } catch (e) {
      this.log.debug({ err: (e as Error).message }, 'closing the IPVS socket');
    }
  }
}
