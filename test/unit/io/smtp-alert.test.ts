// src/io/smtp-alert.ts: the alert conversation against a small relay (test/netns/smtp-sink.mjs
// on a Unix socket), the message format, failures logged and counted (refused command, relay
// gone, silent relay), and the settings taken from global_defs.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { connect, createServer, type Server } from 'node:net';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { globalDefaults } from '../../../src/config/keywords-global.js';
import type { GlobalDefs } from '../../../src/config/model.js';
import { envelopeAddress, message, rfc5322Date, SmtpAlerter, smtpAlertConfig, smtpCounters, type SmtpAlertConfig } from '../../../src/io/smtp-alert.js';
import { captureLogger, tempDir } from './helpers.js';

const { dir, cleanup } = tempDir('smtp');
const sinks: ChildProcess[] = [];
afterAll(() => {
  for (const s of sinks) s.kill();
  cleanup();
});

const cfg = (over: Partial<SmtpAlertConfig> = {}): SmtpAlertConfig => ({
  host: 'relay.test', port: 25, heloName: 'lb1.test', from: 'Keepalived <kts@lb1.test>',
  to: ['ops@example.test', 'Pager <pager@example.test>'], timeoutMs: 2000, routerId: 'LB1', ...over,
});

async function sink(name: string, env: Record<string, string> = {}): Promise<{ path: string; out: string }> {
  const path = join(dir, `${name}.sock`);
  const out = join(dir, `${name}.jsonl`);
  const child = spawn(process.execPath, ['test/netns/smtp-sink.mjs', path, out], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
  sinks.push(child);
  await new Promise<void>((res) => child.stdout!.once('data', () => res()));
  return { path, out };
}

describe('SMTP alerts', () => {
  it('settings come from global_defs; none without a relay or a recipient', () => {
    const g = (over: Partial<GlobalDefs>): GlobalDefs => ({ ...globalDefaults(), ...over } as GlobalDefs);
    expect(smtpAlertConfig(g({ notificationEmail: ['a@b'] }), 'h')).toBeUndefined();
    expect(smtpAlertConfig(g({ smtpServer: { host: '10.0.0.1', port: 25 } }), 'h')).toBeUndefined();
    expect(smtpAlertConfig(g({ smtpServer: { host: '10.0.0.1', port: 2525 }, notificationEmail: ['a@b'], routerId: 'R' }), 'host1')).toEqual({
      host: '10.0.0.1', port: 2525, heloName: 'host1', from: `${userInfo().username}@host1`, to: ['a@b'], timeoutMs: 30_000, routerId: 'R',
    });
  });

  it('formats the message: headers, dot-stuffed body, CRLF, final dot', () => {
    const m = message(cfg(), 'VRRP Instance VI_1 - Entering MASTER state', 'line one\n.starts with a dot', new Date(2026, 10, 22, 9, 5, 7));
    expect(m).toMatch(/^Date: Sun, 22 Nov 2026 09:05:07 [+-]\d{4}\r\n/);
    expect(m).toContain('\r\nFrom: Keepalived <kts@lb1.test>\r\nSubject: [LB1] VRRP Instance VI_1 - Entering MASTER state\r\n');
    expect(m).toContain('\r\nTo: ops@example.test, Pager <pager@example.test>\r\n\r\nline one\r\n..starts with a dot\r\n.\r\n');
    expect(envelopeAddress('Pager <pager@example.test>')).toBe('pager@example.test');
    expect(envelopeAddress(' ops@example.test ')).toBe('ops@example.test');
    expect(rfc5322Date(new Date(2026, 0, 3, 4, 5, 6))).toMatch(/^Sat, 03 Jan 2026 04:05:06 [+-]\d{4}$/);
  });

  it('delivers an alert through the whole conversation', async () => {
    const s = await sink('ok');
    const { log, lines } = captureLogger();
    const a = new SmtpAlerter(cfg(), log, () => connect(s.path));
    const before = smtpCounters.sent;
    expect(await a.send('Realserver [10.0.0.11]:tcp:80 of virtual server [10.0.0.10]:tcp:80 - DOWN', '=> CHECK failed on service <=')).toBe(true);
    expect(smtpCounters.sent - before).toBe(1);
    const got = readFileSync(s.out, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { helo: string; from: string; to: string[]; data: string });
    expect(got).toHaveLength(1);
    expect(got[0]).toMatchObject({ helo: 'lb1.test', from: '<kts@lb1.test>', to: ['<ops@example.test>', '<pager@example.test>'] });
    expect(got[0]!.data).toContain('Subject: [LB1] Realserver [10.0.0.11]:tcp:80 of virtual server [10.0.0.10]:tcp:80 - DOWN\n');
    expect(got[0]!.data).toContain('\n\n=> CHECK failed on service <=\n');
    expect(lines.find((l) => l.msg === 'SMTP alert successfully sent.')).toBeDefined();
  });

  it('a refused command, a relay that is gone and a silent relay: logged, counted, never thrown', async () => {
    const refusing = await sink('refuse', { SINK_REFUSE: 'RCPT' });
    const silentPath = join(dir, 'silent.sock');
    const silent: Server = createServer(() => undefined);
    await new Promise<void>((res) => silent.listen(silentPath, res));
    const { log, lines } = captureLogger();
    const before = smtpCounters.failed;
    expect(await new SmtpAlerter(cfg(), log, () => connect(refusing.path)).send('s', 'b')).toBe(false);
    expect(await new SmtpAlerter(cfg(), log, () => connect(join(dir, 'nobody.sock'))).send('s', 'b')).toBe(false);
    expect(await new SmtpAlerter(cfg({ timeoutMs: 200 }), log, () => connect(silentPath)).send('s', 'b')).toBe(false);
    silent.close();
    expect(smtpCounters.failed - before).toBe(3);
    const errs = lines.filter((l) => l.code === 'SMTP_ALERT');
    expect(errs.map((l) => l.stage)).toEqual(['RCPT', 'banner', 'banner']);
    expect(String(errs[0]!.msg)).toContain("RCPT: server said '550 5.1.1 refused'");
    expect(String(errs[2]!.msg)).toContain('no answer within 200 ms');
    expect(existsSync(refusing.out)).toBe(false);
  });
});
