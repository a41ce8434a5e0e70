#!/usr/bin/env node
// An open-loop ICMP echo prober for the failover benchmark: one echo request to TARGET every
// INTERVAL ms whatever comes back (ping paces itself when replies stop, which blurs the end of
// an outage), each reply printed as ping -D prints it, kernel-independent of ping's pacing.
// Usage (in the client's namespace): node bench/icmp-probe.mjs TARGET [INTERVAL_MS]
import raw from 'raw-socket';

const [target, intervalArg] = process.argv.slice(2);
const intervalMs = Number(intervalArg ?? 1);
const id = process.pid & 0xffff;
const sock = raw.createSocket({ protocol: raw.Protocol.ICMP });
let seq = 0;

function checksum(buf) {
  let sum = 0;
  for (let i = 0; i < buf.length; i += 2) sum += (buf[i] << 8) + (buf[i + 1] ?? 0);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

function send() {
  const b = Buffer.alloc(16);
  b[0] = 8; // echo request
  b.writeUInt16BE(id, 4);
  b.writeUInt16BE(seq++ & 0xffff, 6);
  b.writeUInt32BE(seq, 8);
  b.writeUInt16BE(checksum(b), 2);
  sock.send(b, 0, b.length, target, () => {});
}

sock.on('message', (buf) => {
  const ihl = (buf[0] & 0x0f) * 4;
  if (buf[ihl] !== 0 || buf.readUInt16BE(ihl + 4) !== id) return; // not our echo reply
  const t = (performance.timeOrigin + performance.now()) / 1000;
  process.stdout.write(`[${t.toFixed(6)}] 24 bytes from ${target}: icmp_seq=${buf.readUInt16BE(ihl + 6)} ttl=${buf[8]}\n`);
});
sock.on('error', (e) => process.stderr.write(`icmp-probe: ${e.message}\n`));
setInterval(send, intervalMs);
process.on('SIGINT', () => process.exit(0));
process.on('SIGTERM', () => process.exit(0));
