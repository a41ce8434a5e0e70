/**
 * Large answers of the checker child (the metrics and status of 50,000 real servers: tens of
 * megabytes) do not cross the IPC channel, whose JSON the parent would parse on its VRRP
 * thread: seconds of CPU at that size in a small guest, under SCHED_RR with RLIMIT_RTTIME,
 * where the kernel sends SIGKILL at the hard limit. The child renders them and writes the bytes
 * on a pipe of their own, framed as [request id: u32 BE][length: u32 BE][bytes]; the parent
 * hands the chunks on to the HTTP answer as they are, without looking into them.
 *
 * FrameReader takes the pipe's chunks in order and gives back each frame's chunks, whole. It
 * copies only a header split between two chunks; a frame nobody waits for any more (its
 * request timed out) is skipped without being kept.
 */

export const FRAME_HEADER_BYTES = 8;

/** One frame's header, for the writer. */
export function frameHeader(id: number, length: number): Buffer {
  const h = Buffer.allocUnsafe(FRAME_HEADER_BYTES);
  h.writeUInt32BE(id >>> 0, 0);
  h.writeUInt32BE(length >>> 0, 4);
  return h;
}

interface Current {
  readonly id: number;
  left: number;
  /** undefined: skipped (nobody waits for it) */
  readonly chunks: Buffer[] | undefined;
}

export class FrameReader {
  private head: Buffer | undefined;
  private cur: Current | undefined;

  /**
   * @param wanted whether a frame of this id is still waited for (asked at its header)
   * @param done a whole frame that is waited for
   */
  constructor(private readonly wanted: (id: number) => boolean, private readonly done: (id: number, chunks: Buffer[]) => void) {}

  push(chunk: Buffer): void {
    let off = 0;
    while (off < chunk.length) {
      if (!this.cur) {
        const need = FRAME_HEADER_BYTES - (this.head?.length ?? 0);
        const part = chunk.subarray(off, off + need);
        off += part.length;
        this.head = this.head ? Buffer.concat([this.head, part]) : part;
        if (this.head.length < FRAME_HEADER_BYTES) return;
        const id = this.head.readUInt32BE(0);
        const left = this.head.readUInt32BE(4);
        this.head = undefined;
        this.cur = { id, left, chunks: this.wanted(id) ? [] : undefined };
      }
      const take = Math.min(this.cur.left, chunk.length - off);
      if (take > 0) this.cur.chunks?.push(chunk.subarray(off, off + take));
      off += take;
      this.cur.left -= take;
      if (this.cur.left === 0) {
        const { id, chunks } = this.cur;
        this.cur = undefined;
        if (chunks) this.done(id, chunks);
      }
    }
  }

  /** The pipe was closed or replaced (a new child): nothing half-read carries over. */
  reset(): void {
    this.head = undefined;
    this.cur = undefined;
  }
}
