// writeFrame (src/daemon/checker-child.ts), the checker's answers on the bulk pipe: what the pipe
// takes at once is written straight away, the rest through the stream, and the bytes arrive
// whole and in order; a frame written while the stream still has bytes queued waits behind them.
import { execFileSync } from 'node:child_process';
import { constants, mkdtempSync, openSync, readSync, rmSync } from 'node:fs';
import { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { writeFrame } from '../../../src/daemon/checker-child.js';

describe('writeFrame on a pipe', () => {
  let dir: string;
  let reader: Socket;
  let writer: Socket;
  let wfd: number;
  let rfd: number;
  let got: Buffer[];
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'kts-bulk-'));
    const fifo = join(dir, 'p');
    execFileSync('mkfifo', [fifo]);
    rfd = openSync(fifo, constants.O_RDONLY | constants.O_NONBLOCK);
    wfd = openSync(fifo, constants.O_WRONLY | constants.O_NONBLOCK);
    reader = new Socket({ fd: rfd, readable: true, writable: false });
    writer = new Socket({ fd: wfd, readable: false, writable: true });
    got = [];
    reader.on('data', (c: Buffer) => got.push(c));
  });
  afterEach(() => {
    writer.destroy();
    reader.destroy();
    rmSync(dir, { recursive: true, force: true });
  });

  const received = async (n: number): Promise<Buffer> => {
    for (let i = 0; i < 500 && Buffer.concat(got).length < n; i++) await new Promise((r) => setTimeout(r, 5));
    return Buffer.concat(got);
  };

  it('a frame the pipe takes at once is written straight away, nothing left queued', async () => {
    const parts = [Buffer.from('head'), Buffer.alloc(1000, 7)];
    writeFrame(writer, wfd, parts);
    expect(writer.writableLength).toBe(0);
    expect((await received(1004)).equals(Buffer.concat(parts))).toBe(true);
  });

  it('more than the pipe holds (its reader held up): the rest goes through the stream, whole and in order, and the next frame after it', async () => {
    const big = Buffer.alloc(3 << 20);
    for (let i = 0; i < big.length; i++) big[i] = i % 251;
    const first = [Buffer.from('frame-1 '), big];
    const second = [Buffer.from('frame-2 '), Buffer.alloc(5000, 9)];
    writeFrame(writer, wfd, first);
    // the reader is this process: nothing was read while it wrote, so the stream has the rest
    expect(writer.writableLength).toBeGreaterThan(0);
    // the reader takes some at once: the pipe has room while the stream still holds the rest
    // of the first frame, which the second must not overtake
    const some = Buffer.alloc(16384);
    got.push(Buffer.from(some.subarray(0, readSync(rfd, some))));
    writeFrame(writer, wfd, second);
    const all = Buffer.concat([...first, ...second]);
    expect((await received(all.length)).equals(all)).toBe(true);
  });
});
