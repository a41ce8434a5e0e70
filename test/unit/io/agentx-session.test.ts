// The AgentX subagent session (src/io/agentx-session.ts) against a small fake master on a unix
// socket in a temp dir: it opens, registers and names its MIBs; answers GetNext split across
// TCP-style chunks; a PDU it cannot read gets parseError and the session goes on; a stream it
// cannot frame is dropped and the session comes back; a master that goes away and returns is
// found again and the MIBs registered again; start-up notifications wait for the session.
import { createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { AgentxSession } from '../../../src/io/agentx-session.js';
import { AGENTX_ERROR, parseOid, PDU, type Varbind } from '../../../src/snmp/agentx.js';
import { captureLogger, tempDir, waitFor } from './helpers.js';

interface Got { type: number; sessionId: number; packetId: number; body: Buffer }

/** A master that answers every request with noError and records what it got. */
class FakeMaster {
  readonly got: Got[] = [];
  conns: Socket[] = [];
  private server: Server | undefined;
  constructor(readonly path: string, private readonly sessionId = 42) {}
  listen(): Promise<void> {
    this.server = createServer((c) => {
      this.conns.push(c);
      let buf = Buffer.alloc(0);
      c.on('data', (d) => {
        buf = Buffer.concat([buf, d]);
        while (buf.length >= 20) {
          const len = 20 + buf.readUInt32BE(16);
          if (buf.length < len) break;
          const pdu = buf.subarray(0, len);
          buf = buf.subarray(len);
          const g = { type: pdu[1]!, sessionId: pdu.readUInt32BE(4), packetId: pdu.readUInt32BE(12), body: Buffer.from(pdu.subarray(20)) };
          this.got.push(g);
          if (g.type !== PDU.response) c.write(this.response(g.packetId, g.type === PDU.open ? this.sessionId : g.sessionId));
        }
      });
      c.on('error', () => undefined);
    });
    return new Promise((r) => this.server!.listen(this.path, r));
  }
  response(packetId: number, sessionId: number, error = 0): Buffer {
    const b = Buffer.alloc(28);
    b.writeUInt8(1, 0); b.writeUInt8(PDU.response, 1); b.writeUInt8(0x10, 2);
    b.writeUInt32BE(sessionId, 4); b.writeUInt32BE(packetId, 12); b.writeUInt32BE(8, 16); b.writeUInt16BE(error, 24);
    return b;
  }
  async close(): Promise<void> {
    for (const c of this.conns) c.destroy();
    this.conns = [];
    await new Promise((r) => this.server?.close(r));
  }
  /** a master request: header and payload */
  static request(type: number, packetId: number, payload: number[]): Buffer {
    const b = Buffer.alloc(20 + payload.length);
    b.writeUInt8(1, 0); b.writeUInt8(type, 1); b.writeUInt8(0x10, 2);
    b.writeUInt32BE(42, 4); b.writeUInt32BE(packetId, 12); b.writeUInt32BE(payload.length, 16);
    Buffer.from(payload).copy(b, 20);
    return b;
  }
  waitResponse(packetId: number): Promise<Got> {
    return waitFor(() => this.answers(packetId) !== undefined, 3000).then(() => this.answers(packetId)!);
  }
  private answers(packetId: number): Got | undefined {
    return this.responses.find((r) => r.packetId === packetId);
  }
  responses: Got[] = [];
}

/** A client side that collects what the subagent answers (the subagent writes to the master's connection). */
function collectResponses(m: FakeMaster, c: Socket): void {
  let buf = Buffer.alloc(0);
  c.on('data', (d) => {
    buf = Buffer.concat([buf, d]);
    while (buf.length >= 20) {
      const len = 20 + buf.readUInt32BE(16);
      if (buf.length < len) break;
      const pdu = buf.subarray(0, len);
      buf = buf.subarray(len);
      if (pdu[1] === PDU.response) m.responses.push({ type: pdu[1]!, sessionId: pdu.readUInt32BE(4), packetId: pdu.readUInt32BE(12), body: Buffer.from(pdu.subarray(20)) });
    }
  });
}

const MIB: Varbind[] = [
  { oid: parseOid('1.3.6.1.2.1.68.1.1.0'), value: { type: 'integer', value: 2 } },
  { oid: parseOid('1.3.6.1.2.1.68.1.2.0'), value: { type: 'integer', value: 1 } },
];
const REGIONS = [{ oid: parseOid('1.3.6.1.2.1.68'), name: 'VRRP' }, { oid: parseOid('1.3.6.1.2.1.207'), name: 'VRRPV3' }];
/** a search range [start, end) in network byte order, prefix-compressed as masters send it */
const getNextPayload = (start: number[], end: number[]): number[] => {
  const oid = (o: number[]): number[] => [o.length - 5, o[4]!, 0, 0, ...o.slice(5).flatMap((v) => [0, 0, 0, v])];
  return [...oid(start), ...oid(end)];
};

describe('AgentX session', () => {
  const cleanups: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  async function rig(mib: () => readonly Varbind[] | Promise<readonly Varbind[]> = () => MIB): Promise<{ m: FakeMaster; s: AgentxSession; lines: ReturnType<typeof captureLogger>['lines']; path: string }> {
    const t = tempDir('agentx');
    cleanups.push(t.cleanup);
    const path = join(t.dir, 'master');
    const m = new FakeMaster(path);
    await m.listen();
    cleanups.push(() => m.close());
    const { log, lines } = captureLogger();
    const s = new AgentxSession({ endpoint: { kind: 'unix', path }, regions: REGIONS, description: 'test', mib, log, retryMinMs: 50, retryMaxMs: 100 });
    cleanups.push(() => s.stop());
    return { m, s, lines, path };
  }

  it('opens, registers each MIB and names it in sysORTable, then answers a GetNext sent in two chunks', async () => {
    const { m, s } = await rig();
    const trap: Varbind[] = [{ oid: parseOid('1.3.6.1.6.3.1.1.4.1.0'), value: { type: 'oid', value: parseOid('1.3.6.1.2.1.68.0.1') } }];
    s.start();
    // before the session is open: kept for it
    expect(s.notify(trap)).toBe(true);
    await waitFor(() => s.isOpen);
    await waitFor(() => m.got.some((g) => g.type === PDU.notify));
    expect(m.got.map((g) => g.type)).toEqual([PDU.open, PDU.register, PDU.addAgentCaps, PDU.register, PDU.addAgentCaps, PDU.notify]);
    expect(m.got.filter((g) => g.type === PDU.register).map((g) => g.sessionId)).toEqual([42, 42]);
    const c = m.conns[0]!;
    collectResponses(m, c);
    const req = FakeMaster.request(PDU.getNext, 77, getNextPayload([1, 3, 6, 1, 2, 1, 68, 1, 1, 0], [1, 3, 6, 1, 2, 1, 69]));
    c.write(req.subarray(0, 13));
    await new Promise((r) => setTimeout(r, 20));
    c.write(req.subarray(13));
    const r = await m.waitResponse(77);
    // res.error 0, then the varbind 1.3.6.1.2.1.68.1.2.0 = INTEGER 1
    expect(r.body.readUInt16BE(4)).toBe(0);
    // type 2, OID prefix 2 (mib-2) + 1.68.1.2.0, value 1
    expect(r.body.subarray(8).toString('hex')).toBe('00020000' + '05020000' + '00000001000000440000000100000002' + '00000000' + '00000001');
  });

  it('a view that has to be read first (a promise) is answered when it is; one that fails, with genErr', async () => {
    let fail = false;
    const { m, s, lines } = await rig(() => new Promise((res, rej) => setTimeout(() => (fail ? rej(new Error('no counters')) : res(MIB)), 30)));
    s.start();
    await waitFor(() => s.isOpen);
    const c = m.conns[0]!;
    collectResponses(m, c);
    c.write(FakeMaster.request(PDU.getNext, 78, getNextPayload([1, 3, 6, 1, 2, 1, 68, 1, 1, 0], [1, 3, 6, 1, 2, 1, 69])));
    const r = await m.waitResponse(78);
    expect(r.body.readUInt16BE(4)).toBe(0);
    expect(r.body.subarray(8).toString('hex')).toBe('00020000' + '05020000' + '00000001000000440000000100000002' + '00000000' + '00000001');
    fail = true;
    c.write(FakeMaster.request(PDU.getNext, 79, getNextPayload([1, 3, 6, 1, 2, 1, 68, 1, 1, 0], [1, 3, 6, 1, 2, 1, 69])));
    const e = await m.waitResponse(79);
    expect(e.body.readUInt16BE(4)).toBe(5);
    expect(lines.some((l) => l.msg === 'SNMP MIB view failed')).toBe(true);
  });

  it('a Set: refused without a handler; with one, tested, committed once accepted, forgotten at cleanup', async () => {
    // one varbind: INTEGER 1.3.6.1.4.1.9586.100.5.3.4.1.7.4.1 = 5
    const setPayload = (v: number): number[] => {
      const b = Buffer.alloc(4 + 4 + 4 * 9 + 4);
      b.writeUInt16BE(2, 0);
      b.writeUInt8(9, 4); b.writeUInt8(4, 5);
      [1, 9586, 100, 5, 3, 4, 1, 7, 4].forEach((x, i) => b.writeUInt32BE(x, 8 + 4 * i));
      b.writeUInt32BE(v, 8 + 36);
      return [...b];
    };
    const committed: number[] = [];
    const { m, s } = await rig();
    s.start();
    await waitFor(() => s.isOpen);
    const c = m.conns[0]!;
    collectResponses(m, c);
    c.write(FakeMaster.request(PDU.testSet, 90, setPayload(5)));
    expect((await m.waitResponse(90)).body.readUInt16BE(4)).toBe(AGENTX_ERROR.notWritable);
    await s.stop();

    const t = tempDir('agentx-set');
    cleanups.push(t.cleanup);
    const path = join(t.dir, 'master');
    const m2 = new FakeMaster(path);
    await m2.listen();
    cleanups.push(() => m2.close());
    const { log } = captureLogger();
    const s2 = new AgentxSession({
      endpoint: { kind: 'unix', path }, regions: REGIONS, description: 'test', mib: () => MIB, log,
      set: { test: (vbs) => (vbs[0]?.integer === 5 ? { error: 0, index: 0 } : { error: AGENTX_ERROR.wrongValue, index: 1 }), commit: (vbs) => committed.push(vbs[0]!.integer!) },
    });
    cleanups.push(() => s2.stop());
    s2.start();
    await waitFor(() => s2.isOpen);
    const c2 = m2.conns[0]!;
    collectResponses(m2, c2);
    c2.write(FakeMaster.request(PDU.testSet, 91, setPayload(6)));
    expect((await m2.waitResponse(91)).body.readUInt16BE(4)).toBe(AGENTX_ERROR.wrongValue);
    c2.write(FakeMaster.request(PDU.testSet, 92, setPayload(5)));
    expect((await m2.waitResponse(92)).body.readUInt16BE(4)).toBe(0);
    c2.write(FakeMaster.request(PDU.commitSet, 93, []));
    expect((await m2.waitResponse(93)).body.readUInt16BE(4)).toBe(0);
    c2.write(FakeMaster.request(PDU.cleanupSet, 94, []));
    expect(committed).toEqual([5]);
  });

  it('a PDU it cannot read is answered with parseError and counted; the session goes on', async () => {
    const { m, s, lines } = await rig();
    s.start();
    await waitFor(() => s.isOpen);
    const c = m.conns[0]!;
    collectResponses(m, c);
    c.write(FakeMaster.request(99, 5, []));
    const r = await m.waitResponse(5);
    expect(r.body.readUInt16BE(4)).toBe(266);
    expect(s.dropped.type).toBe(1);
    expect(lines.some((l) => l.msg === 'AgentX PDU dropped' && l.reason === 'type')).toBe(true);
    c.write(FakeMaster.request(PDU.get, 6, getNextPayload([1, 3, 6, 1, 2, 1, 68, 1, 1, 0], [1, 3, 6, 1, 2, 1, 68, 1, 1, 0])));
    expect((await m.waitResponse(6)).body.readUInt16BE(4)).toBe(0);
    expect(s.isOpen).toBe(true);
  });

  it('a stream it cannot frame (bad version) is dropped; it connects and registers again', async () => {
    const { m, s, lines } = await rig();
    s.start();
    await waitFor(() => s.isOpen);
    m.conns[0]!.write(Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n'));
    await waitFor(() => s.opened === 2, 3000);
    expect(s.dropped.version).toBe(1);
    expect(lines.filter((l) => l.msg === 'AgentX subagent connected')).toHaveLength(2);
    expect(m.got.filter((g) => g.type === PDU.register)).toHaveLength(4);
  });

  it('a master that goes away is logged, and found again when it returns', async () => {
    const { m, s, lines, path } = await rig();
    s.start();
    await waitFor(() => s.isOpen);
    await m.close();
    await waitFor(() => lines.some((l) => l.msg === 'AgentX master disconnected'));
    expect(s.isOpen).toBe(false);
    // meanwhile notifications are dropped and counted, never queued without end
    expect(s.notify([])).toBe(false);
    expect(s.dropped['notify-no-session']).toBe(1);
    await waitFor(() => lines.some((l) => l.msg === 'Failed to connect to the agentx master agent'), 3000);
    const back = new FakeMaster(path, 43);
    await back.listen();
    cleanups.push(() => back.close());
    await waitFor(() => s.isOpen, 3000);
    expect(back.got.filter((g) => g.type === PDU.register).map((g) => g.sessionId)).toEqual([43, 43]);
  });

  it('a master that refuses the session is left, and tried again', async () => {
    const t = tempDir('agentx');
    cleanups.push(t.cleanup);
    const path = join(t.dir, 'master');
    const refusing = createServer((c) => {
      c.on('data', (d) => {
        const b = Buffer.alloc(28);
        b.writeUInt8(1, 0); b.writeUInt8(PDU.response, 1); b.writeUInt8(0x10, 2);
        b.writeUInt32BE(d.readUInt32BE(12), 12); b.writeUInt32BE(8, 16); b.writeUInt16BE(256, 24);
        c.write(b);
      });
      c.on('error', () => undefined);
    });
    await new Promise<void>((r) => refusing.listen(path, r));
    cleanups.push(() => new Promise<void>((r) => refusing.close(() => r())));
    const { log, lines } = captureLogger();
    const s = new AgentxSession({ endpoint: { kind: 'unix', path }, regions: REGIONS, description: 'test', mib: () => MIB, log, retryMinMs: 30, retryMaxMs: 30 });
    cleanups.push(() => s.stop());
    s.start();
    await waitFor(() => lines.filter((l) => l.msg === 'AgentX master refused the session').length >= 2, 3000);
    expect(s.isOpen).toBe(false);
  });
});
