/**
 * The error of a failed rtnetlink operation: names the operation and the object, as
 * `add address 10.0.0.100/32 dev eth0: EPERM`, and keeps the errno name apart.
 */
import { KtsError, type ErrorCode } from '../errors/index.js';

export class RtnlError extends KtsError {
  /** `add address`, `delete route`, `create macvlan`, ... */
  readonly op: string;
  /** The object as an operator reads it: `10.0.0.100/32 dev eth0`. */
  readonly object: string;
  /** The errno name the kernel answered (`EPERM`), or `ETIMEDOUT` when it did not answer. */
  readonly errno?: string;

  constructor(code: ErrorCode, op: string, object: string, reason: string, opts: { errno?: string; cause?: unknown } = {}) {
    super(code, `${op} ${object}: ${reason}`, { cause: opts.cause });
    this.name = 'RtnlError';
    this.op = op;
    this.object = object;
    if (opts.errno !== undefined) this.errno = opts.errno;
  }
}
