/**
 * RFC 1071 Internet checksum, computed over byte ranges so that a pseudo-header and the
 * VRRP message can be summed without first being copied into one buffer.
 */

/** Adds the 16-bit big-endian words of `buf[start, end)` to `acc` (odd tail padded with 0). */
export function sumWords(buf: Uint8Array, start: number, end: number, acc: number): number {
  let sum = acc;
  let i = start;
  for (; i + 1 < end; i += 2) sum += (buf[i]! << 8) | buf[i + 1]!;
  if (i < end) sum += buf[i]! << 8;
  return sum;
}

/** Folds a running sum to 16 bits and complements it. */
export function finishChecksum(acc: number): number {
  let sum = acc;
  while (sum > 0xffff) sum = (sum & 0xffff) + Math.floor(sum / 0x10000);
  return ~sum & 0xffff;
}

/** Sum of an IPv4 or IPv6 pseudo-header (src, dst, upper-layer length, protocol). */
export function pseudoHeaderSum(src: Uint8Array, dst: Uint8Array, protocol: number, length: number): number {
  let acc = sumWords(src, 0, src.length, 0);
  acc = sumWords(dst, 0, dst.length, acc);
  // IPv4: zero, protocol, 16-bit length. IPv6: 32-bit length, 3 zero bytes, next header.
  // Both reduce to the same two words for lengths below 65536.
  return acc + protocol + length;
}
