// Sends whole IPv4 VRRP datagrams (IP_HDRINCL, as given) to 224.0.0.18 on one interface, for
// tests that need adverts a daemon must drop (bad authentication, TTL, version, checksum).
// Usage, in the sender's namespace: node test/helpers/send-vrrp4.mjs IFNAME HEX [HEX ...]
// (uses dist/: run after `npm run build`).
import { readFileSync } from 'node:fs';
import { Vrrp4Socket } from '../../dist/src/io/vrrp-socket4.js';

const [ifname, ...hexes] = process.argv.slice(2);
const ifindex = Number(readFileSync(`/sys/class/net/${ifname}/ifindex`, 'utf8').trim());
const sock = new Vrrp4Socket({ ifname, ifindex, groups: [], onPacket: () => undefined });
for (const h of hexes) {
  sock.send(Uint8Array.from(Buffer.from(h, 'hex')), Uint8Array.of(224, 0, 0, 18));
  await new Promise((r) => setTimeout(r, 100));
}
await new Promise((r) => setTimeout(r, 200));
sock.close();
