/**
 * Netlink framing for the IPVS client: struct nlmsghdr + struct genlmsghdr around the
 * attributes, written into an NlWriter so that many requests share one send buffer, and the
 * reverse: a received datagram split into messages, NLMSG_ERROR / NLMSG_DONE read.
 */
import { err, ok, type Result } from '../util/result.js';
import { isLittleEndian, type NlWriter } from './codec.js';
import { GENL_HDRLEN, NLMSG_DONE, NLMSG_ERROR, NLMSG_HDRLEN } from './constants.js';

export interface NlMessage {
  readonly type: number;
  readonly flags: number;
  readonly seq: number;
  readonly pid: number;
  /** the bytes after the nlmsghdr */
  readonly payload: Buffer;
}

/** Starts a generic netlink message; returns its offset for endMessage(). */
export function beginGenl(w: NlWriter, family: number, flags: number, seq: number, cmd: number, version: number): number {
  const start = w.off;
  w.u32(0); // nlmsg_len, patched by endMessage
  w.u16(family);
  w.u16(flags);
  w.u32(seq);
  w.u32(0); // nlmsg_pid: the kernel fills in the sender
  w.u8(cmd);
  w.u8(version);
  w.u16(0);
  return start;
}

export function endMessage(w: NlWriter, start: number): void {
  w.pad4();
  w.patchU32(start, w.off - start);
}

/** Splits one received datagram into its netlink messages. */
export function parseDatagram(b: Buffer): Result<NlMessage[], string> {
  const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const out: NlMessage[] = [];
  let at = 0;
  while (at + NLMSG_HDRLEN <= b.length) {
    const len = view.getUint32(at, isLittleEndian);
    if (len < NLMSG_HDRLEN || at + len > b.length) return err(`netlink message length ${len} at offset ${at} of a ${b.length}-byte datagram`);
    out.push({
      type: view.getUint16(at + 4, isLittleEndian),
      flags: view.getUint16(at + 6, isLittleEndian),
      seq: view.getUint32(at + 8, isLittleEndian),
      pid: view.getUint32(at + 12, isLittleEndian),
      payload: b.subarray(at + NLMSG_HDRLEN, at + len),
    });
    at += (len + 3) & ~3;
  }
  if (at < b.length) return err(`${b.length - at} trailing bytes in a netlink datagram`);
  return ok(out);
}

/** NLMSG_ERROR: `errno` is 0 for an acknowledgement, else the positive errno number. */
export function readError(m: NlMessage): Result<{ readonly errno: number }, string> {
  if (m.type !== NLMSG_ERROR) return err(`message type ${m.type} is not NLMSG_ERROR`);
  if (m.payload.length < 4) return err(`NLMSG_ERROR of ${m.payload.length} bytes`);
  const v = new DataView(m.payload.buffer, m.payload.byteOffset, m.payload.byteLength);
  return ok({ errno: -v.getInt32(0, isLittleEndian) });
}

/** NLMSG_DONE carries the dump's final status (0 or a negative errno). */
export function readDone(m: NlMessage): { readonly errno: number } {
  if (m.type !== NLMSG_DONE || m.payload.length < 4) return { errno: 0 };
  const v = new DataView(m.payload.buffer, m.payload.byteOffset, m.payload.byteLength);
  return { errno: -v.getInt32(0, isLittleEndian) };
}

/** The genlmsghdr of a generic netlink message and where its attributes start. */
export function readGenl(m: NlMessage): Result<{ readonly cmd: number; readonly version: number; readonly attrs: Buffer }, string> {
  if (m.payload.length < GENL_HDRLEN) return err(`generic netlink message of ${m.payload.length} bytes`);
  return ok({ cmd: m.payload[0]!, version: m.payload[1]!, attrs: m.payload.subarray(GENL_HDRLEN) });
}
