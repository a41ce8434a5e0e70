/**
 * HTTP_GET and SSL_GET probes, and `genhash` (keepalived's genhash / `keepalived -T`): send the
 * request the core built (check/http.ts), read the response until the server closes (or the
 * Content-Length is complete), judge it with `judgeHttpResponse`. conn.timeoutMs bounds the
 * connect and every wait for data. TLS: SNI only when asked (enable_sni), the client
 * certificate, key and CA of the `SSL` block when there is one (io/tls-creds.ts), the peer's
 * certificate not verified (keepalived sets no verify mode either).
 */
import { connect as tlsConnect, type TLSSocket } from 'node:tls';
import type { Socket } from 'node:net';
import { buildHttpRequest, headerEnd, judgeHttpResponse, parseHttpResponse } from '../check/http.js';
import type { ConnPlan, HttpUrlPlan, ProbeResult } from '../check/types.js';
import { KtsError } from '../errors/index.js';
import { parseIp } from '../util/ip.js';
import { connectTcp } from './probe-tcp.js';
import type { TlsCreds } from './tls-creds.js';

/** Responses are cut here (health pages are small; the digest of a cut body simply differs). */
const MAX_RESPONSE_BYTES = 16 * 1024 * 1024;

export interface HttpFetchPlan {
  readonly tls: boolean;
  readonly conn: ConnPlan;
  readonly request: string;
  readonly sni?: string;
  /** client credentials from the `SSL` block */
  readonly creds?: TlsCreds;
}

/** The raw response bytes, or a failure in keepalived's words. */
export function fetchHttp(p: HttpFetchPlan): Promise<{ raw: Uint8Array } | { failure: ProbeResult }> {
  return new Promise((resolve) => {
    connectTcp(p.conn, (sock, failure) => {
      if (!sock) {
        const f = failure!;
        resolve({ failure: f.code ? f : { ok: false, detail: f.detail === 'timeout' ? 'Timeout connecting' : 'Error connecting' } });
        return;
      }
      if (!p.tls) return exchange(sock, p, resolve);
      const tls: TLSSocket = tlsConnect({
        ...p.creds, socket: sock, rejectUnauthorized: false, ...(p.sni !== undefined ? { servername: p.sni } : {}),
      });
      let up = false;
      tls.setTimeout(p.conn.timeoutMs, () => {
        if (up) return;
        tls.destroy();
        resolve({ failure: { ok: false, detail: 'Timeout SSL connecting' } });
      });
      tls.once('secureConnect', () => {
        up = true;
        tls.setTimeout(0);
        exchange(tls, p, resolve);
      });
      tls.once('error', () => {
        if (up) return;
        tls.destroy();
        resolve({ failure: { ok: false, detail: 'SSL handshake error with' } });
      });
    });
  });
}

function exchange(sock: Socket, p: HttpFetchPlan, resolve: (r: { raw: Uint8Array } | { failure: ProbeResult }) => void): void {
  const chunks: Buffer[] = [];
  let bytes = 0;
  let done = false;
  let need = -1; // header + Content-Length, once known
  const finish = (r: { raw: Uint8Array } | { failure: ProbeResult }): void => {
    if (done) return;
    done = true;
    sock.setTimeout(0);
    sock.destroy();
    resolve(r);
  };
  const whole = (): Uint8Array => (chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, bytes));
  sock.setTimeout(p.conn.timeoutMs, () => finish({ failure: { ok: false, detail: 'Timeout HTTP read' } }));
  sock.on('data', (d: Buffer) => {
    if (bytes + d.length > MAX_RESPONSE_BYTES) d = d.subarray(0, MAX_RESPONSE_BYTES - bytes);
    chunks.push(d);
    bytes += d.length;
    if (need < 0) {
      const all = whole();
      const end = headerEnd(all);
      const cl = end < 0 ? undefined : parseHttpResponse(all.subarray(0, end))?.contentLength;
      if (cl !== undefined) need = end + cl;
    }
    if ((need >= 0 && bytes >= need) || bytes >= MAX_RESPONSE_BYTES) finish({ raw: whole() });
  });
  sock.on('end', () => finish({ raw: whole() }));
  sock.on('close', () => finish({ raw: whole() }));
  sock.on('error', () => finish(bytes ? { raw: whole() } : { failure: { ok: false, detail: 'Read error with' } }));
  sock.write(p.request);
}

export async function httpProbe(p: HttpFetchPlan & { readonly url: HttpUrlPlan }): Promise<ProbeResult> {
  const r = await fetchHttp(p);
  if ('failure' in r) return r.failure;
  return judgeHttpResponse(p.url, r.raw);
}

export interface GenhashOptions {
  readonly virtualhost?: string;
  readonly protocol?: '1.0' | '1.0C' | '1.1';
  readonly timeoutMs?: number;
  readonly bindto?: string;
  readonly fwmark?: number;
  readonly sni?: string;
}

export interface GenhashResult {
  readonly status: number;
  /** lower-case hex MD5 of the body, as digest in HTTP_GET / SSL_GET url blocks */
  readonly digest: string;
  /** body bytes hashed */
  readonly bytes: number;
}

/**
 * keepalived's genhash: fetch `url` (http:// or https://, a literal IP address as host) the way
 * the checker does and return the status and the MD5 digest of the body. Throws CHECK_PROBE
 * when no response could be read.
 */
export async function genhash(url: string, opts: GenhashOptions = {}): Promise<GenhashResult> {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new KtsError('CHECK_PROBE', `genhash: '${url}' is not a URL`);
  }
  const tls = u.protocol === 'https:';
  if (!tls && u.protocol !== 'http:') throw new KtsError('CHECK_PROBE', `genhash: only http:// and https:// URLs (got ${u.protocol})`);
  const host = u.hostname.replace(/^\[(.*)\]$/, '$1');
  const addr = parseIp(host);
  if (!addr) throw new KtsError('CHECK_PROBE', `genhash: the server must be an IP address (got '${host}')`);
  const port = u.port ? Number(u.port) : tls ? 443 : 80;
  const conn: ConnPlan = {
    family: addr.family, host, port, timeoutMs: opts.timeoutMs ?? 5000,
    ...(opts.bindto !== undefined ? { bindto: opts.bindto } : {}),
    ...(opts.fwmark !== undefined ? { fwmark: opts.fwmark } : {}),
  };
  const request = buildHttpRequest({
    path: `${u.pathname}${u.search}`, ...(opts.protocol ? { protocol: opts.protocol } : {}),
    ...(opts.virtualhost !== undefined ? { virtualhost: opts.virtualhost } : {}), host, family: addr.family, port,
  });
  const r = await fetchHttp({ tls, conn, request, ...(opts.sni !== undefined ? { sni: opts.sni } : {}) });
  if ('failure' in r) throw new KtsError('CHECK_PROBE', `genhash: ${r.failure.detail ?? 'failed'} ${host}:${port}`);
  const resp = parseHttpResponse(r.raw);
  if (!resp) throw new KtsError('CHECK_PROBE', `genhash: no data received from ${host}:${port}`);
  return { status: resp.status, digest: resp.digest, bytes: resp.body.length };
}
