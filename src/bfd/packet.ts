/**
 * BFD Control packet codec (RFC 5880 §4.1, the mandatory section only: keepalived 2.2.7
 * implements neither authentication nor the Echo function). This is the only module that
 * knows the wire layout; intervals stay in microseconds, the unit the wire carries.
 *
 * Decoding never throws: it returns `Result<ControlPacket, DecodeError>` with one reason per
 * failure, in the order of the RFC 5880 §6.8.6 reception checks, followed by the two extra
 * sanity checks keepalived makes (bfd.c `bfd_check_packet`: Poll and Final together, a
 * Diagnostic above 8) and the Authentication Present bit (RFC step 10 with bfd.AuthType 0).
 *
 * What it does not check, and where that happens instead:
 * - TTL / Hop Limit (RFC 5881 §5, GTSM): the socket layer reads it (IP_RECVTTL /
 *   IPV6_RECVHOPLIMIT) and passes it with the packet; the session applies `ttlAcceptable`
 *   below with its configured `ttl` and `max_hops`, as keepalived does once it knows the
 *   session (bfd_scheduler.c `bfd_handle_packet` -> bfd.c `bfd_check_packet_ttl`). Single hop
 *   means: received TTL 255 for IPv4 with keepalived's defaults (ttl 255, max_hops 0).
 * - RFC step 7/9, selecting the session by Your Discriminator or by addresses: the
 *   demultiplexer's job; the session refuses a Your Discriminator that is not its own.
 * - UDP destination port 3784 and source port range 49152-65535 (RFC 5881 §4): the socket.
 */
import { err, ok, type Result } from '../util/result.js';

export const BFD_VERSION = 1;
/** Length of the mandatory section (no authentication section). */
export const BFD_CONTROL_LENGTH = 24;
/** Minimum Length when the Authentication Present bit is set (RFC 5880 §6.8.6). */
export const BFD_CONTROL_LENGTH_WITH_AUTH = 26;
/** RFC 5881 §4: single-hop control packets go to this UDP port... */
export const BFD_CONTROL_PORT = 3784;
/** ...from a source port in this range. */
export const BFD_SOURCE_PORT_MIN = 49152;
export const BFD_SOURCE_PORT_MAX = 65535;

/** Session states in wire order (RFC 5880 §4.1 State field: 0 AdminDown .. 3 Up). */
export const BFD_STATES = ['AdminDown', 'Down', 'Init', 'Up'] as const;
export type BfdState = (typeof BFD_STATES)[number];

/** RFC 5880 §4.1 Diagnostic codes. keepalived drops packets carrying a code above 8. */
export const Diag = {
  None: 0,
  ControlDetectionTimeExpired: 1,
  EchoFunctionFailed: 2,
  NeighborSignaledSessionDown: 3,
  ForwardingPlaneReset: 4,
  PathDown: 5,
  ConcatenatedPathDown: 6,
  AdministrativelyDown: 7,
  ReverseConcatenatedPathDown: 8,
} as const;
export type BfdDiag = (typeof Diag)[keyof typeof Diag];

/** The RFC's names of the diagnostic codes, for the edge that formats log lines. */
export const DIAG_NAMES: Readonly<Record<BfdDiag, string>> = {
  0: 'No Diagnostic',
  1: 'Control Detection Time Expired',
  2: 'Echo Function Failed',
  3: 'Neighbor Signaled Session Down',
  4: 'Forwarding Plane Reset',
  5: 'Path Down',
  6: 'Concatenated Path Down',
  7: 'Administratively Down',
  8: 'Reverse Concatenated Path Down',
};

/** A control packet as this implementation sends and accepts it (no auth, no multipoint). */
export interface ControlPacket {
  readonly diag: BfdDiag;
  readonly state: BfdState;
  readonly poll: boolean;
  readonly final: boolean;
  /** C bit: Control Plane Independent. */
  readonly controlPlaneIndependent: boolean;
  readonly demand: boolean;
  readonly detectMult: number;
  readonly myDiscriminator: number;
  readonly yourDiscriminator: number;
  readonly desiredMinTxIntervalUs: number;
  readonly requiredMinRxIntervalUs: number;
  readonly requiredMinEchoRxIntervalUs: number;
}

/** Encodes the 24-byte mandatory section (Version 1, A and M clear, Length 24). */
export function encodeControl(p: ControlPacket): Uint8Array {
  const buf = new Uint8Array(BFD_CONTROL_LENGTH);
  const view = new DataView(buf.buffer);
  buf[0] = (BFD_VERSION << 5) | (p.diag & 0x1f);
  buf[1] = (BFD_STATES.indexOf(p.state) << 6)
    | (p.poll ? 0x20 : 0) | (p.final ? 0x10 : 0) | (p.controlPlaneIndependent ? 0x08 : 0) | (p.demand ? 0x02 : 0);
  buf[2] = p.detectMult & 0xff;
  buf[3] = BFD_CONTROL_LENGTH;
  view.setUint32(4, p.myDiscriminator >>> 0);
  view.setUint32(8, p.yourDiscriminator >>> 0);
  view.setUint32(12, p.desiredMinTxIntervalUs >>> 0);
  view.setUint32(16, p.requiredMinRxIntervalUs >>> 0);
  view.setUint32(20, p.requiredMinEchoRxIntervalUs >>> 0);
  return buf;
}

// ---------------------------------------------------------------------------------------
// Decoding

export type DecodeReason =
  | 'short' | 'version' | 'length' | 'detect-mult' | 'multipoint' | 'my-discriminator'
  | 'your-discriminator' | 'poll-and-final' | 'diag' | 'auth';

/** Every reason, in the order they are checked. */
export const DECODE_REASONS: readonly DecodeReason[] = [
  'short', 'version', 'length', 'detect-mult', 'multipoint', 'my-discriminator',
  'your-discriminator', 'poll-and-final', 'diag', 'auth',
];

export interface DecodeError {
  readonly reason: DecodeReason;
  /** Constant text for a log line; the values go in fields at the edge. */
  readonly message: string;
}

const fail = (reason: DecodeReason, message: string): Result<ControlPacket, DecodeError> => err({ reason, message });

/**
 * Decodes and checks one UDP payload received on port 3784.
 *
 * Order (RFC 5880 §6.8.6): Version; Length below the minimum, or above the payload; Detect
 * Mult zero; Multipoint set; My Discriminator zero; Your Discriminator zero in a state other
 * than Down/AdminDown. Then keepalived's extra checks: Poll with Final, Diagnostic above 8.
 * Last, the A bit: keepalived supports no authentication, so any packet with it is dropped
 * (the RFC checks it after selecting the session; keepalived too, after its TTL check, so only
 * the counter of a packet failing both differs).
 *
 * keepalived is stricter than the RFC on length: it also drops a payload longer than the
 * Length field ('length'), where the RFC only drops a shorter one. keepalived checks the
 * sizes before the version; the reason reported for a packet failing both differs, not the
 * outcome.
 */
export function decodeControl(data: Uint8Array): Result<ControlPacket, DecodeError> {
  if (data.length === 0) return fail('short', 'empty BFD payload');
  const version = data[0]! >> 5;
  if (version !== BFD_VERSION) return fail('version', 'BFD version is not 1');
  if (data.length < BFD_CONTROL_LENGTH) return fail('short', 'BFD payload shorter than a control packet');
  const flags = data[1]!;
  const auth = (flags & 0x04) !== 0;
  const length = data[3]!;
  if (length < (auth ? BFD_CONTROL_LENGTH_WITH_AUTH : BFD_CONTROL_LENGTH)) return fail('length', 'BFD Length field below the minimum');
  if (length > data.length) return fail('short', 'BFD Length field exceeds the payload');
  if (length < data.length) return fail('length', 'BFD payload longer than its Length field');
  const detectMult = data[2]!;
  if (detectMult === 0) return fail('detect-mult', 'BFD Detect Mult is zero');
  if ((flags & 0x01) !== 0) return fail('multipoint', 'BFD Multipoint bit set');
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const myDiscriminator = view.getUint32(4);
  const yourDiscriminator = view.getUint32(8);
  if (myDiscriminator === 0) return fail('my-discriminator', 'BFD My Discriminator is zero');
  const state = BFD_STATES[flags >> 6]!;
  if (yourDiscriminator === 0 && state !== 'Down' && state !== 'AdminDown') {
    return fail('your-discriminator', 'BFD Your Discriminator is zero outside Down/AdminDown');
  }
  const poll = (flags & 0x20) !== 0;
  const final = (flags & 0x10) !== 0;
  if (poll && final) return fail('poll-and-final', 'BFD Poll and Final both set');
  const diag = data[0]! & 0x1f;
  if (diag > Diag.ReverseConcatenatedPathDown) return fail('diag', 'BFD Diagnostic code unknown');
  if (auth) return fail('auth', 'BFD authentication present but not supported');
  return ok({
    diag: diag as BfdDiag,
    state,
    poll,
    final,
    controlPlaneIndependent: (flags & 0x08) !== 0,
    demand: (flags & 0x02) !== 0,
    detectMult,
    myDiscriminator,
    yourDiscriminator,
    desiredMinTxIntervalUs: view.getUint32(12),
    requiredMinRxIntervalUs: view.getUint32(16),
    requiredMinEchoRxIntervalUs: view.getUint32(20),
  });
}

// ---------------------------------------------------------------------------------------
// TTL / Hop Limit (the receive path's check, RFC 5881 §5 generalised by keepalived)

/** keepalived's default `ttl`: 255 for IPv4 (RFC 5881), 64 for IPv6 (keepalived's own choice). */
export function defaultTtl(family: 'inet' | 'inet6'): number {
  return family === 'inet' ? 255 : 64;
}

/**
 * Whether a received TTL / Hop Limit is acceptable for a session sending with `ttl` and
 * allowing `maxHops` hops: at least `ttl - maxHops`. `maxHops` 255 (keepalived's `max_hops -1`
 * as stored) or -1 disables the check. An unknown TTL (no ancillary data: undefined or 0) is
 * accepted, as keepalived accepts it after a warning.
 */
export function ttlAcceptable(receivedTtl: number | undefined, ttl: number, maxHops: number): boolean {
  if (maxHops < 0 || maxHops >= 255) return true;
  if (receivedTtl === undefined || receivedTtl === 0) return true;
  return receivedTtl + maxHops >= ttl;
}
