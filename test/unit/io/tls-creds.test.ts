// src/io/tls-creds.ts and the `SSL` block: files read, key unlocked with the password, the pair
// checked; an unusable block is one CHECK_SSL_CONTEXT error (logged, counted), never a throw.
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/load.js';
import { loadTlsCreds, tlsCredsCounters } from '../../../src/io/tls-creds.js';
import { captureLogger, tempDir } from './helpers.js';

const { dir, cleanup } = tempDir('tls');
afterAll(cleanup);
const hasOpenssl = spawnSync('sh', ['-c', 'command -v openssl']).status === 0;
const openssl = (...args: string[]): void => {
  const r = spawnSync('openssl', args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`openssl ${args.join(' ')}: ${r.stderr}`);
};
const p = (name: string): string => join(dir, name);

describe('SSL block credentials', () => {
  it('parses the SSL block into the model', () => {
    writeFileSync(p('k.conf'), 'SSL {\n  password "s3cret"\n  ca /etc/ca.pem\n  certificate /etc/c.pem\n  key /etc/k.pem\n}\n');
    const r = loadConfig(p('k.conf'));
    expect(r.config?.ssl).toMatchObject({ password: 's3cret', ca: '/etc/ca.pem', certificate: '/etc/c.pem', key: '/etc/k.pem' });
  });

  it('no block: no credentials, no error', () => {
    const { log, lines } = captureLogger();
    expect(loadTlsCreds(undefined, log)).toBeUndefined();
    expect(lines).toEqual([]);
  });

  it('certificate, encrypted key with its password, CA; wrong password, missing file, mismatched key', () => {
    expect(hasOpenssl, 'openssl is installed by scripts/install-deps.sh').toBe(true);
    openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=a', '-keyout', p('a.key'), '-out', p('a.pem'));
    openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=b', '-keyout', p('b.key'), '-out', p('b.pem'));
    openssl('pkey', '-in', p('a.key'), '-aes256', '-passout', 'pass:s3cret', '-out', p('a-enc.key'));
    const { log, lines } = captureLogger();
    const before = tlsCredsCounters.contextErrors;

    const ok = loadTlsCreds({ certificate: p('a.pem'), key: p('a-enc.key'), password: 's3cret', ca: p('b.pem') }, log);
    expect(ok?.cert?.toString()).toContain('BEGIN CERTIFICATE');
    expect(ok?.key?.toString()).toContain('ENCRYPTED');
    expect(ok?.passphrase).toBe('s3cret');
    expect(ok?.ca?.toString()).toContain('BEGIN CERTIFICATE');
    expect(lines).toEqual([]);

    expect(loadTlsCreds({ certificate: p('a.pem'), key: p('a-enc.key'), password: 'wrong' }, log)).toBeUndefined();
    expect(loadTlsCreds({ certificate: p('a.pem'), key: p('missing.key') }, log)).toBeUndefined();
    expect(loadTlsCreds({ certificate: p('a.pem'), key: p('b.key') }, log)).toBeUndefined();
    expect(tlsCredsCounters.contextErrors - before).toBe(3);
    expect(lines.map((l) => l.code)).toEqual(['CHECK_SSL_CONTEXT', 'CHECK_SSL_CONTEXT', 'CHECK_SSL_CONTEXT']);
    expect(String(lines[1]?.msg)).toContain(`SSL key ${p('missing.key')}: ENOENT`);
    // the password never reaches the log
    expect(JSON.stringify(lines)).not.toContain('wrong');
  });
});
