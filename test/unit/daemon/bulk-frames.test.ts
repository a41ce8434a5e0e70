// The checker child's bulk pipe framing (src/daemon/bulk-frames.ts): frames come back whole
// however the pipe cuts its chunks, a frame nobody waits for is skipped, a reset drops a
// half-read one.
import { describe, expect, it } from 'vitest';
import { FrameReader, frameHeader } from '../../../src/daemon/bulk-frames.js';

const frame = (id: number, body: string): Buffer => Buffer.concat([frameHeader(id, Buffer.byteLength(body)), Buffer.from(body)]);

function reader(wanted: (id: number) => boolean = () => true): { r: FrameReader; got: [number, string][] } {
  const got: [number, string][] = [];
  const r = new FrameReader(wanted, (id, chunks) => got.push([id, Buffer.concat(chunks).toString()]));
  return { r, got };
}

describe('FrameReader', () => {
  const stream = Buffer.concat([frame(1, 'alpha'), frame(2, ''), frame(0xffff_ffff, 'x'.repeat(1000)), frame(3, 'omega')]);
  const want: [number, string][] = [[1, 'alpha'], [2, ''], [0xffff_ffff, 'x'.repeat(1000)], [3, 'omega']];

  it('gives each frame whole, in one chunk or cut at every size (a header split too)', () => {
    for (const size of [stream.length, 1, 3, 7, 8, 9, 64]) {
      const { r, got } = reader();
      for (let off = 0; off < stream.length; off += size) r.push(stream.subarray(off, off + size));
      expect(got, `chunks of ${size}`).toEqual(want);
    }
  });

  it('skips a frame nobody waits for (a request that timed out), and reads on after it', () => {
    const { r, got } = reader((id) => id !== 0xffff_ffff);
    for (let off = 0; off < stream.length; off += 100) r.push(stream.subarray(off, off + 100));
    expect(got).toEqual([[1, 'alpha'], [2, ''], [3, 'omega']]);
  });

  it('a reset (a new child) drops what was half read', () => {
    const { r, got } = reader();
    r.push(frame(1, 'cut short').subarray(0, 12));
    r.reset();
    r.push(frame(2, 'whole'));
    expect(got).toEqual([[2, 'whole']]);
  });
});
