/**
 * keepalived's email alerts (`smtp_alert`): one SMTP conversation per alert with the relay in
 * `smtp_server`, from `notification_email_from` to every `notification_email`:
 *
 *   220 banner  ->  HELO smtp_helo_name  ->  MAIL FROM:<from>  ->  RCPT TO:<to> (each)
 *   ->  DATA  ->  Date / From / Subject / X-Mailer / To, body, "."  ->  QUIT
 *
 * Every reply is awaited for at most `smtp_connect_timeout`, as keepalived does. The subject is
 * `[router_id] ` and what the caller says ("VRRP Instance VI_1 - Entering MASTER state",
 * "Realserver [10.0.0.11]:tcp:80 - DOWN"). An alert that cannot be delivered (relay down,
 * refused command, timeout) is logged with the stage that failed and counted; nothing waits on
 * it and nothing else is affected.
 */
import { connect, type Socket } from 'node:net';
import { userInfo } from 'node:os';
import type { Logger } from 'pino';
import { smtpStatus } from '../check/smtp.js';
import type { GlobalDefs } from '../config/model.js';

export interface SmtpAlertConfig {
  readonly host: string;
  readonly port: number;
  readonly heloName: string;
  readonly from: string;
  readonly to: readonly string[];
  readonly timeoutMs: number;
  readonly routerId?: string;
}

export const smtpCounters = { sent: 0, failed: 0 };

/**
 * keepalived's sender when notification_email_from is not written and smtp_server is
 * (global_data.c set_default_email_from): the user it runs as, at the local host name.
 */
export const defaultEmailFrom = (hostname: string): string => `${userInfo().username}@${hostname}`;

/** The alert settings of a configuration, or undefined when it has no relay or no recipient. */
export function smtpAlertConfig(g: GlobalDefs, hostname: string): SmtpAlertConfig | undefined {
  if (!g.smtpServer || g.notificationEmail.length === 0) return undefined;
  return {
    host: g.smtpServer.host,
    port: g.smtpServer.port,
    heloName: g.smtpHeloName ?? hostname,
    from: g.notificationEmailFrom ?? defaultEmailFrom(hostname),
    to: g.notificationEmail,
    timeoutMs: g.smtpConnectTimeoutMs,
    ...(g.routerId !== undefined ? { routerId: g.routerId } : {}),
  };
}

/** `Name <a@b>` or `a@b` -> `a@b` (the envelope takes the bare address). */
export const envelopeAddress = (s: string): string => /<([^>]*)>/.exec(s)?.[1] ?? s.trim();

/** RFC 5322 date as keepalived writes it (local time with offset). */
export function rfc5322Date(d: Date): string {
  const days = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
  const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
  const p = (n: number): string => String(n).padStart(2, '0');
  const off = -d.getTimezoneOffset();
  const sign = off >= 0 ? '+' : '-';
  return `${days[d.getDay()]}, ${p(d.getDate())} ${months[d.getMonth()]} ${d.getFullYear()} `
    + `${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())} ${sign}${p(Math.floor(Math.abs(off) / 60))}${p(Math.abs(off) % 60)}`;
}

/** The DATA part: headers, a blank line, the body, with dot-stuffing and CRLF line ends. */
export function message(cfg: SmtpAlertConfig, subject: string, body: string, now: Date): string {
  const lines = [
    `Date: ${rfc5322Date(now)}`,
    `From: ${cfg.from}`,
    `Subject: ${cfg.routerId !== undefined ? `[${cfg.routerId}] ` : ''}${subject}`,
    'X-Mailer: keepalived-ts',
    `To: ${cfg.to.join(', ')}`,
    '',
    ...body.split(/\r?\n/).map((l) => (l.startsWith('.') ? `.${l}` : l)),
  ];
  return `${lines.join('\r\n')}\r\n.\r\n`;
}

/** One conversation: the commands in order, each with the reply code it needs. */
function conversation(cfg: SmtpAlertConfig, data: string): { stage: string; send?: string; want: number }[] {
  return [
    { stage: 'banner', want: 220 },
    { stage: 'HELO', send: `HELO ${cfg.heloName}\r\n`, want: 250 },
    { stage: 'MAIL', send: `MAIL FROM:<${envelopeAddress(cfg.from)}>\r\n`, want: 250 },
    ...cfg.to.map((t) => ({ stage: 'RCPT', send: `RCPT TO:<${envelopeAddress(t)}>\r\n`, want: 250 })),
    { stage: 'DATA', send: 'DATA\r\n', want: 354 },
    { stage: 'body', send: data, want: 250 },
  ];
}

/** The alerter of a configuration's global_defs, or undefined when it names no relay or no recipient. */
export function alerterFor(g: GlobalDefs, hostname: string, log: Logger): SmtpAlerter | undefined {
  const cfg = smtpAlertConfig(g, hostname);
  return cfg ? new SmtpAlerter(cfg, log.child({ mod: 'smtp' })) : undefined;
}

export class SmtpAlerter {
  /** `connect` opens the connection to the relay (a fake in the unit tests). */
  constructor(
    private readonly cfg: SmtpAlertConfig,
    private readonly log: Logger,
    private readonly open: (cfg: SmtpAlertConfig) => Socket = (c) => connect({ host: c.host, port: c.port }),
  ) {}

  /** Sends one alert in the background; resolves true once the relay accepted it. Never rejects. */
  send(subject: string, body: string): Promise<boolean> {
    const steps = conversation(this.cfg, message(this.cfg, subject, body, new Date()));
    const relay = `[${this.cfg.host}]:${this.cfg.port}`;
    return new Promise((resolve) => {
      let sock: Socket;
      let i = 0;
      let buf = '';
      let done = false;
      const finish = (ok: boolean, why?: string): void => {
        if (done) return;
        done = true;
        if (ok) {
          smtpCounters.sent++;
          this.log.info({ subject }, 'SMTP alert successfully sent.');
          sock.end('QUIT\r\n');
        } else {
          smtpCounters.failed++;
          this.log.error({ code: 'SMTP_ALERT', relay, subject, stage: steps[i]?.stage, err: why }, `SMTP alert to ${relay} not sent: ${why ?? 'failed'}`);
          sock.destroy();
        }
        resolve(ok);
      };
      try {
        sock = this.open(this.cfg);
      } catch (e) {
        smtpCounters.failed++;
        this.log.error({ code: 'SMTP_ALERT', relay, subject, err: (e as Error).message }, `SMTP alert to ${relay} not sent: ${(e as Error).message}`);
        resolve(false);
        return;
      }
      sock.setEncoding('utf8');
      sock.setTimeout(this.cfg.timeoutMs, () => finish(false, `no answer within ${this.cfg.timeoutMs} ms`));
      sock.on('error', (e: Error & { code?: string }) => finish(false, e.code ?? e.message));
      sock.on('close', () => finish(false, 'connection closed'));
      sock.on('data', (d: string) => {
        buf += d;
        // a reply ends with a line whose fourth character is a space ("250 ok"; "250-" continues)
        for (let nl = buf.indexOf('\n'); nl >= 0 && !done; nl = buf.indexOf('\n')) {
          const line = buf.slice(0, nl).replace(/\r$/, '');
          buf = buf.slice(nl + 1);
          if (/^[0-9]{3}-/.test(line)) continue;
          const code = smtpStatus(line);
          const step = steps[i]!;
          if (code !== step.want) return finish(false, `${step.stage}: server said '${line.slice(0, 200)}'`);
          i++;
          if (i === steps.length) return finish(true);
          sock.write(steps[i]!.send!);
        }
      });
    });
  }
}
