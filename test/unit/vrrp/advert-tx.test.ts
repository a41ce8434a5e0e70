// AdvertTx (src/vrrp/advert-tx.ts): the kept encodings are never written by a send, the IP ID
// never 0, one copy per unicast peer.
import { describe, expect, it } from 'vitest';
import { parseIp } from '../../../src/util/ip.js';
import { AdvertTx } from '../../../src/vrrp/advert-tx.js';
import { resolveInstance } from '../../../src/vrrp/config.js';
import { decodeAdvert } from '../../../src/vrrp/packet.js';
import { cfg } from './harness.js';

const sendAll = (tx: AdvertTx, priority: number) => {
  const out: { dst: string; data: Uint8Array }[] = [];
  tx.send(priority, false, (dst, data) => out.push({ dst: dst.join('.'), data }));
  return out;
};

describe('AdvertTx', () => {
  it('an advert encoded ahead (prepare) goes out as one encoded at the send, with its own IP ID', () => {
    const r = resolveInstance(cfg());
    const ahead = new AdvertTx(r);
    ahead.prepare(100, false);
    const [a] = sendAll(ahead, 100);
    const [b] = sendAll(new AdvertTx(r), 100);
    expect(a!.data).toEqual(b!.data);
    const [c] = sendAll(ahead, 100);
    expect(c!.data[5]).toBe(2); // IPv4 ID 2 in the copy, the kept encoding untouched
    expect(a!.data[5]).toBe(1);
  });

  it('a PASS password goes on the wire as the bytes written in the file (read as latin1), as keepalived sends it', () => {
    // "£6nj7^5" saved as UTF-8: C2 A3 36 6E 6A 37 5E 35, eight bytes, all of them kept (a
    // public configuration's password; keepalived-ts once sent C3 82 C2 A3 36 6E 6A 37)
    const written = Buffer.from('£6nj7^5', 'utf8').toString('latin1');
    const r = resolveInstance({ ...cfg(), authentication: { authType: 'PASS', authPass: written } });
    expect(Buffer.from(r.authData!).toString('hex')).toBe('c2a3366e6a375e35');
  });

  it('the IP ID goes from 65535 to 1, never 0', () => {
    const tx = new AdvertTx(resolveInstance(cfg()));
    tx.ipId = 0xfffe;
    const ids = [0, 1].map(() => {
      const [a] = sendAll(tx, 100);
      return (a!.data[4]! << 8) | a!.data[5]!;
    });
    expect(ids).toEqual([0xffff, 1]);
  });

  it('one copy per unicast peer, each decodable with the priority asked', () => {
    const peers = ['10.0.0.7', '10.0.0.8'].map((a) => ({ address: parseIp(a)! }));
    const r = resolveInstance(cfg({ unicastPeer: peers }));
    const out = sendAll(new AdvertTx(r), 120);
    expect(out.map((o) => o.dst)).toEqual(['10.0.0.7', '10.0.0.8']);
    for (const o of out) {
      const d = decodeAdvert({ family: 'inet', data: o.data }, { family: 'inet', version: r.version, vrid: r.vrid, authType: r.authType, authData: r.authData, adverIntervalMs: r.adverIntervalMs, vips: r.vips, unicast: true, unicastPeers: r.peers, checkUnicastSrc: false, checksumAsV2: false, unicastChecksum: 'new' });
      expect(d.ok ? d.value.priority : d.error.reason).toBe(120);
    }
  });
});
