/**
 * keepalived's top-level `SSL { password ca certificate key }` block: the client side of every
 * SSL_GET check. keepalived loads the certificate chain, the private key (unlocked with the
 * password) and the CA file into the checker's one TLS context, and a peer that fails
 * verification does not fail the check (no verify mode is set). Here the same files become
 * the TLS options of each SSL_GET connection; `rejectUnauthorized` stays false.
 *
 * The files are read, and the pair checked, when the checker starts or reloads. One that
 * cannot be used is a CHECK_SSL_CONTEXT error, logged once and counted; SSL_GET then runs
 * without client credentials, as before, and nothing else stops.
 */
import { readFileSync } from 'node:fs';
import { createSecureContext } from 'node:tls';
import type { Logger } from 'pino';
import type { SslContextConfig } from '../config/model.js';

/** What `tls.connect` takes for the client's credentials. */
export interface TlsCreds {
  readonly cert?: Buffer;
  readonly key?: Buffer;
  readonly passphrase?: string;
  readonly ca?: Buffer;
}

export const tlsCredsCounters = { contextErrors: 0 };

/** The credentials of an `SSL` block, or undefined (no block, or one that cannot be used). */
export function loadTlsCreds(ssl: SslContextConfig | undefined, log: Logger): TlsCreds | undefined {
  if (!ssl) return undefined;
  const read = (what: string, path: string | undefined): Buffer | undefined => {
    if (path === undefined) return undefined;
    try {
      return readFileSync(path);
    } catch (e) {
      throw new Error(`SSL ${what} ${path}: ${(e as { code?: string }).code ?? String(e)}`);
    }
  };
  try {
    const creds: TlsCreds = {
      ...optional('cert', read('certificate', ssl.certificate)),
      ...optional('key', read('key', ssl.key)),
      ...optional('passphrase', ssl.password),
      ...optional('ca', read('ca', ssl.ca)),
    };
    // a wrong password, a key that does not match the certificate, or PEM that is not PEM
    createSecureContext(creds);
    return creds;
  } catch (e) {
    tlsCredsCounters.contextErrors++;
    log.error({ code: 'CHECK_SSL_CONTEXT', err: (e as Error).message },
      `SSL block unusable, SSL_GET checks run without client credentials: ${(e as Error).message}`);
    return undefined;
  }
}

function optional<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}
