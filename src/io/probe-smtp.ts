/**
 * SMTP_CHECK's probe: the dialogue of check/smtp.ts on a TCP connection; conn.timeoutMs bounds
 * the connect and each read and write (keepalived check_smtp.c).
 */
import type { Socket } from 'node:net';
import { SMTP_ERRORS, smtpDialogue, smtpError, smtpStatus } from '../check/smtp.js';
import type { ConnPlan, ProbeResult } from '../check/types.js';
import { connectTcp } from './probe-tcp.js';

/** Longest reply line kept (keepalived's SMTP_BUFF_MAX wraps at 512). */
const MAX_LINE = 512;

export function smtpProbe(conn: ConnPlan, heloName: string): Promise<ProbeResult> {
  const err = (t: string): ProbeResult => ({ ok: false, detail: smtpError(t, conn.host, conn.port) });
  return new Promise((resolve) => {
    connectTcp(conn, (sock, failure) => {
      if (!sock) {
        resolve(failure!.code ? failure! : err(failure!.detail === 'timeout' ? SMTP_ERRORS.connectTimeout : SMTP_ERRORS.connectFailure));
        return;
      }
      talk(sock, conn, heloName, err, resolve);
    });
  });
}

function talk(sock: Socket, conn: ConnPlan, heloName: string, err: (t: string) => ProbeResult, resolve: (r: ProbeResult) => void): void {
  const steps = smtpDialogue(heloName);
  let step = 0;
  let buf = '';
  let done = false;
  const finish = (r: ProbeResult): void => {
    if (done) return;
    done = true;
    sock.setTimeout(0);
    sock.destroy();
    resolve(r);
  };
  sock.setEncoding('latin1');
  sock.setTimeout(conn.timeoutMs, () => finish(err(SMTP_ERRORS.readTimeout)));
  sock.on('data', (d: string) => {
    buf += d;
    if (buf.length > MAX_LINE) buf = buf.slice(-MAX_LINE);
    const nl = buf.indexOf('\n');
    if (nl < 0) return;
    const line = buf.slice(0, nl);
    buf = ''; // keepalived reads each reply afresh: what followed the newline is dropped
    const s = steps[step]!;
    if (s.expect !== undefined && smtpStatus(line) !== s.expect) return finish(err(s.bad!));
    if (s.send === undefined) return finish({ ok: true });
    step++;
    sock.write(s.send);
  });
  sock.on('end', () => finish(err(SMTP_ERRORS.readFailure)));
  sock.on('error', () => finish(err(SMTP_ERRORS.readFailure)));
}
