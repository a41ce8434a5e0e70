/**
 * The `raw-socket` package, typed: raw IPv4 / IPv6 sockets for VRRP (protocol 112,
 * vrrp-socket4.ts) and PING_CHECK (ICMP, probe-ping.ts). Loaded on first use, once.
 */
import { createRequire } from 'node:module';

/** raw-socket's native wrapper: `send` is a synchronous sendto(2) that throws on failure. */
export interface RawSocketWrap {
  send(buf: Buffer, offset: number, length: number, address: string, done: (bytes: number) => void): void;
}

export interface RawSocket {
  readonly wrap: RawSocketWrap;
  on(ev: 'message', fn: (buf: Buffer, source: string) => void): void;
  on(ev: 'error', fn: (err: Error) => void): void;
  setOption(level: number, option: number, value: number | Buffer, length?: number): void;
  send(buf: Buffer, offset: number, length: number, address: string, after: (err: Error | null, bytes: number) => void): void;
  close(): void;
}

export interface RawSocketModule {
  createSocket(opts: { protocol: number; addressFamily: number; bufferSize?: number }): RawSocket;
  AddressFamily: { IPv4: number; IPv6: number };
}

const require = createRequire(import.meta.url);
let rawModule: RawSocketModule | undefined;

export function rawSocketModule(): RawSocketModule {
  rawModule ??= require('raw-socket') as RawSocketModule;
  return rawModule;
}
