/**
 * An AgentX subagent session (RFC 2741) with an SNMP master agent such as net-snmp's snmpd:
 * connects to the master's socket (keepalived's `snmp_socket` / `-A`, net-snmp's default
 * unix:/var/agentx/master when unset), opens a session, registers its MIB subtrees (and names
 * them in sysORTable), answers Get / GetNext / GetBulk from the MIB view it is given, and
 * sends notifications. When the master goes away (snmpd restarted, socket gone) it logs,
 * tries again with a growing delay (1 s, 2 s, 4 s, then every 5 s) and registers again once back. It never
 * throws into its caller: a PDU it cannot read is counted (`dropped`, by reason) and answered
 * with parseError when it can be; a notification with no session open is dropped and counted.
 * The VRRP side never waits for it.
 */
import { createConnection, type Socket } from 'node:net';
import type { Logger } from 'pino';
import {
  AGENTX_ERROR, CLOSE_REASON, decodeHeader, decodePdu, encodeAddAgentCaps, encodeClose, encodeNotify, encodeOpen,
  encodePing, encodeRegister, encodeResponse, HEADER_LEN, MAX_PAYLOAD, type DecodeReason, type MasterPdu, type Oid, type SetVarbind, type Varbind,
} from '../snmp/agentx.js';
import { get, getBulk, getNext } from '../snmp/responder.js';
import { endpointText, type AgentxEndpoint } from '../snmp/endpoint.js';

export interface AgentxOptions {
  readonly endpoint: AgentxEndpoint;
  readonly regions: readonly { readonly oid: Oid; readonly name: string }[];
  readonly description: string;
  /** the MIB view, sorted by OID; called for every request (a promise: answered when it settles) */
  readonly mib: () => readonly Varbind[] | Promise<readonly Varbind[]>;
  /** writable objects; without it every Set is refused (notWritable) */
  readonly set?: SetHandler;
  readonly log: Logger;
  readonly retryMinMs?: number;
  readonly retryMaxMs?: number;
  /** how long the master has to answer Open / Register / Ping */
  readonly requestTimeoutMs?: number;
  /** a Ping this often while open (keepalived: 120 s) */
  readonly pingIntervalMs?: number;
}

/** What a subagent lets a manager write (RFC 2741 §7.2.4: TestSet, then CommitSet). */
export interface SetHandler {
  /** 0 when every varbind can be set as asked; else the AgentX error and the 1-based index of the first that cannot */
  test(varbinds: readonly SetVarbind[]): { readonly error: number; readonly index: number };
  /** what the TestSet accepted, now applied */
  commit(varbinds: readonly SetVarbind[]): void;
}

type Phase = 'idle' | 'connecting' | 'opening' | 'open' | 'stopped';

export class AgentxSession {
  private phase: Phase = 'idle';
  private sock: Socket | undefined;
  private buf = new Uint8Array(0);
  private sessionId = 0;
  private packetId = 0;
  /** the varbinds each Set transaction's TestSet accepted, until its CleanupSet */
  private readonly sets = new Map<number, readonly SetVarbind[]>();
  private readonly pending = new Map<number, { resolve: (p: Extract<MasterPdu, { kind: 'response' }> | undefined) => void; timer: NodeJS.Timeout }>();
  private retryMs: number;
  private retryTimer: NodeJS.Timeout | undefined;
  private pingTimer: NodeJS.Timeout | undefined;
  /** a failure to reach the master is logged once, until it is reached */
  private unreachableLogged = false;
  /** PDUs from the master that could not be read, by reason; notifications dropped with no session */
  readonly dropped: Record<DecodeReason | 'oversize' | 'notify-no-session' | 'unexpected-response', number> = {
    short: 0, version: 0, type: 0, context: 0, oid: 0, length: 0, value: 0, oversize: 0, 'notify-no-session': 0, 'unexpected-response': 0,
  };
  /** sessions opened (1 after the first, +1 per reconnection) */
  opened = 0;
  /** notifications of the start-up, until the first session is open */
  private startQueue: Varbind[][] = [];

  constructor(private readonly o: AgentxOptions) {
    this.retryMs = o.retryMinMs ?? 1000;
  }

  get isOpen(): boolean {
    return this.phase === 'open';
  }

  start(): void {
    if (this.phase !== 'idle') return;
    this.connect();
  }

  /** Closes the session (a Close PDU first when one is open); no reconnection after. */
  async stop(): Promise<void> {
    const wasOpen = this.phase === 'open';
    this.phase = 'stopped';
    clearTimeout(this.retryTimer);
    clearInterval(this.pingTimer);
    const s = this.sock;
    if (!s) return;
    if (wasOpen) s.write(encodeClose(this.ids(), CLOSE_REASON.shutdown));
    await new Promise<void>((resolve) => {
      const t = setTimeout(() => { s.destroy(); resolve(); }, 500);
      s.end(() => { clearTimeout(t); s.destroy(); resolve(); });
    });
    this.failPending();
  }

  /**
   * Sends a notification: snmpTrapOID.0 first, then its objects; the master puts its own
   * sysUpTime.0 before them, as it does for keepalived's. Those of the start-up, before the first
   * session is open, wait for it (keepalived's subagent is connected before its instances
   * start); later, with no session open, one is dropped and counted.
   */
  notify(varbinds: readonly Varbind[]): boolean {
    if (this.opened === 0 && (this.phase === 'connecting' || this.phase === 'opening') && this.startQueue.length < 64) {
      this.startQueue.push([...varbinds]);
      return true;
    }
    if (this.phase !== 'open' || !this.sock) {
      this.dropped['notify-no-session']++;
      this.o.log.debug({ dropped: this.dropped['notify-no-session'] }, 'SNMP notification dropped: no AgentX session');
      return false;
    }
    this.send(varbinds);
    return true;
  }

  private send(varbinds: readonly Varbind[]): void {
    void this.request(encodeNotify(this.ids(this.nextPacket()), varbinds)).then((r) => {
      if (r && r.error !== AGENTX_ERROR.noError) this.o.log.warn({ error: r.error }, 'AgentX master refused a notification');
    });
  }

  private ids(packetId = this.nextPacket()): { sessionId: number; packetId: number } {
    return { sessionId: this.sessionId, packetId };
  }

  private nextPacket(): number {
    this.packetId = (this.packetId + 1) >>> 0 || 1;
    return this.packetId;
  }

  private connect(): void {
    if (this.phase === 'stopped') return;
    this.phase = 'connecting';
    this.buf = new Uint8Array(0);
    const e = this.o.endpoint;
    const s = e.kind === 'unix' ? createConnection({ path: e.path }) : createConnection({ host: e.host, port: e.port });
    this.sock = s;
    s.setNoDelay?.(true);
    s.on('connect', () => void this.open(s));
    s.on('data', (d: Buffer) => this.onData(s, d));
    s.on('error', (x: NodeJS.ErrnoException) => {
      if (this.phase === 'connecting') {
        if (!this.unreachableLogged) {
          this.o.log.warn({ socket: endpointText(e), err: x.code ?? x.message, retryMs: this.retryMs }, 'Failed to connect to the agentx master agent');
          this.unreachableLogged = true;
        }
      } else {
        this.o.log.debug({ err: x.code ?? x.message }, 'AgentX socket error');
      }
    });
    s.on('close', () => this.onClose(s));
  }

  private async open(s: Socket): Promise<void> {
    if (s !== this.sock || this.phase !== 'connecting') return;
    this.phase = 'opening';
    this.sessionId = 0;
    const r = await this.request(encodeOpen({ sessionId: 0, packetId: this.nextPacket() }, 0, [], this.o.description));
    if (s !== this.sock) return;
    if (!r || r.error !== AGENTX_ERROR.noError) {
      this.o.log.warn({ error: r?.error ?? 'timeout' }, 'AgentX master refused the session');
      s.destroy();
      return;
    }
    this.sessionId = r.h.sessionId;
    for (const reg of this.o.regions) {
      const rr = await this.request(encodeRegister(this.ids(), reg.oid));
      if (s !== this.sock) return;
      if (!rr) {
        this.o.log.warn({ mib: reg.name }, 'AgentX master did not answer a registration');
        s.destroy();
        return;
      }
      if (rr.error !== AGENTX_ERROR.noError) this.o.log.warn({ mib: reg.name, oid: reg.oid.join('.'), error: rr.error }, 'Unable to register MIB');
      // sysORTable, as net-snmp's register_sysORTable (answered or not, it changes nothing here)
      void this.request(encodeAddAgentCaps(this.ids(), reg.oid, `The MIB module for ${reg.name}`));
    }
    if (s !== this.sock) return;
    this.phase = 'open';
    this.opened++;
    this.unreachableLogged = false;
    this.retryMs = this.o.retryMinMs ?? 1000;
    this.o.log.info({ socket: endpointText(this.o.endpoint), sessionId: this.sessionId, mibs: this.o.regions.map((x) => x.name), sessions: this.opened }, 'AgentX subagent connected');
    clearInterval(this.pingTimer);
    this.pingTimer = setInterval(() => {
      if (this.phase !== 'open' || s !== this.sock) return;
      void this.request(encodePing(this.ids())).then((p) => {
        if (!p && s === this.sock && this.phase === 'open') {
          this.o.log.warn('AgentX master did not answer a ping');
          s.destroy();
        }
      });
    }, this.o.pingIntervalMs ?? 120_000);
    this.pingTimer.unref();
    const queued = this.startQueue;
    this.startQueue = [];
    for (const q of queued) this.send(q);
  }

  private onClose(s: Socket): void {
    if (s !== this.sock) return;
    this.sock = undefined;
    clearInterval(this.pingTimer);
    this.failPending();
    if (this.phase === 'stopped') return;
    if (this.phase === 'open') this.o.log.warn({ socket: endpointText(this.o.endpoint) }, 'AgentX master disconnected');
    if (this.startQueue.length > 0) {
      this.dropped['notify-no-session'] += this.startQueue.length;
      this.startQueue = [];
    }
    this.phase = 'idle';
    this.retryTimer = setTimeout(() => this.connect(), this.retryMs);
    this.retryTimer.unref();
    this.retryMs = Math.min(this.retryMs * 2, this.o.retryMaxMs ?? 5000);
  }

  private failPending(): void {
    for (const [, p] of this.pending) {
      clearTimeout(p.timer);
      p.resolve(undefined);
    }
    this.pending.clear();
  }

  /** Sends a PDU that the master answers; resolves with the answer, or undefined (timeout, connection lost). */
  private request(bytes: Uint8Array): Promise<Extract<MasterPdu, { kind: 'response' }> | undefined> {
    const s = this.sock;
    if (!s) return Promise.resolve(undefined);
    const packetId = new DataView(bytes.buffer, bytes.byteOffset).getUint32(12);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.pending.delete(packetId);
        resolve(undefined);
      }, this.o.requestTimeoutMs ?? 5000);
      timer.unref();
      this.pending.set(packetId, { resolve, timer });
      s.write(bytes);
    });
  }

  private onData(s: Socket, d: Buffer): void {
    if (s !== this.sock) return;
    const joined = new Uint8Array(this.buf.length + d.length);
    joined.set(this.buf);
    joined.set(d, this.buf.length);
    let at = 0;
    while (joined.length - at >= HEADER_LEN) {
      const h = decodeHeader(joined.subarray(at));
      if (!h.ok || h.value.payloadLength > MAX_PAYLOAD) {
        // the stream cannot be framed any more: count it and start a new connection
        const reason = h.ok ? 'oversize' : h.error;
        this.dropped[reason]++;
        this.o.log.warn({ reason, dropped: this.dropped[reason] }, 'AgentX stream unreadable; reconnecting');
        s.destroy();
        return;
      }
      const len = HEADER_LEN + h.value.payloadLength;
      if (joined.length - at < len) break;
      this.onPdu(s, joined.subarray(at, at + len));
      at += len;
    }
    this.buf = joined.slice(at);
  }

  private onPdu(s: Socket, bytes: Uint8Array): void {
    const r = decodePdu(bytes);
    if (!r.ok) {
      this.dropped[r.error]++;
      this.o.log.warn({ reason: r.error, dropped: this.dropped[r.error] }, 'AgentX PDU dropped');
      const h = decodeHeader(bytes);
      // a request we cannot read still gets its answer (RFC 2741 §7.2.2: parseError)
      if (h.ok && h.value.type !== 18) {
        s.write(encodeResponse({ sessionId: h.value.sessionId, transactionId: h.value.transactionId, packetId: h.value.packetId }, 0, AGENTX_ERROR.parseError, 0, []));
      }
      return;
    }
    const p = r.value;
    const reply = (error: number, index: number, vbs: readonly Varbind[]): void => {
      s.write(encodeResponse({ sessionId: p.h.sessionId, transactionId: p.h.transactionId, packetId: p.h.packetId }, 0, error, index, vbs));
    };
    switch (p.kind) {
      case 'response': {
        const w = this.pending.get(p.h.packetId);
        if (!w) {
          this.dropped['unexpected-response']++;
          return;
        }
        this.pending.delete(p.h.packetId);
        clearTimeout(w.timer);
        w.resolve(p);
        return;
      }
      case 'get':
      case 'getNext':
      case 'getBulk': {
        const answer = (mib: readonly Varbind[]): void => {
          // the session may have gone while the view was being read
          if (s.destroyed) return;
          if (p.kind === 'get') reply(0, 0, p.ranges.map((x) => get(mib, x)));
          else if (p.kind === 'getNext') reply(0, 0, p.ranges.map((x) => getNext(mib, x)));
          else if (p.kind === 'getBulk') reply(0, 0, getBulk(mib, p.nonRepeaters, p.maxRepetitions, p.ranges));
        };
        const failed = (e: unknown): void => {
          this.o.log.error({ err: (e as Error).message }, 'SNMP MIB view failed');
          if (!s.destroyed) reply(AGENTX_ERROR.genErr, 1, []);
        };
        try {
          const mib = this.o.mib();
          if (mib instanceof Promise) mib.then(answer, failed);
          else answer(mib);
        } catch (e) {
          failed(e);
        }
        return;
      }
      case 'set': {
        // without a set handler every Set is refused at its test phase; the other phases are acknowledged
        const tid = p.h.transactionId;
        if (p.phase === 'testSet') {
          const vbs = p.varbinds ?? [];
          const r = this.o.set?.test(vbs) ?? { error: AGENTX_ERROR.notWritable, index: 1 };
          if (r.error === 0) this.sets.set(tid, vbs);
          reply(r.error, r.index, []);
        } else if (p.phase === 'commitSet') {
          const vbs = this.sets.get(tid);
          try {
            if (vbs) this.o.set?.commit(vbs);
            reply(0, 0, []);
          } catch (e) {
            this.o.log.error({ err: (e as Error).message }, 'SNMP set failed');
            reply(AGENTX_ERROR.commitFailed, 1, []);
          }
        } else if (p.phase === 'undoSet') reply(0, 0, []);
        else this.sets.delete(tid);
        return;
      }
      case 'close':
        this.o.log.warn({ reason: p.reason }, 'AgentX master closed the session');
        s.destroy();
        return;
    }
  }
}
