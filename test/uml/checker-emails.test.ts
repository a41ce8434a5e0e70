// The emails of the checkers on a real kernel's IPVS (user-mode Linux), keepalived-ts beside
// keepalived 2.2.7 (test/uml/guest/checker-emails.mjs): a real server with two TCP_CHECKs
// whose ports close and open one after the other. By default each checker that changes sends
// its own email, even when the real server stays down; with `no_checker_emails` only the real
// server's changes do. The messages (subject and body) must be keepalived's, in its order, and
// their number is asserted too, so that two equally wrong runs fail.
import { describe, expect, it } from 'vitest';
import { type UmlRun, umlUnavailable } from '../../src/lab/uml.js';
import { describeRun, runGuestScenario } from '../helpers/uml-guest.js';
import { skipUnless } from '../helpers/system.js';

interface Rec { up: boolean; removed: boolean; back: boolean; mails: string[] }

const why = umlUnavailable();

describe.skipIf(skipUnless(why === undefined, `user-mode Linux: ${why}`))('checker emails beside keepalived (UML)', () => {
  let run: UmlRun;
  let rec: Record<string, Rec> = {};

  it('runs both implementations in one guest', { timeout: 360_000 }, async () => {
    run = await runGuestScenario({ script: 'node test/uml/guest/checker-emails.mjs', timeoutMs: 240_000 }, 'checker-emails');
    rec = JSON.parse(run.files.get('mails.json') ?? '{}') as Record<string, Rec>;
    const logs = [...run.files.entries()].filter(([n]) => n.endsWith('.log')).map(([n, t]) => `--- ${n}\n${t.slice(-1500)}`).join('\n');
    expect(run.files.has('done'), describeRun(run, `record:\n${JSON.stringify(rec, null, 1)}\n${logs}`)).toBe(true);
  });

  it.each([['default', 4], ['no_checker_emails', 2]] as const)('%s: keepalived-ts sends keepalived\'s emails', (variant, count) => {
    const k = rec[`keepalived ${variant}`];
    const t = rec[`keepalived-ts ${variant}`];
    expect(k, 'keepalived ran').toBeDefined();
    expect(t, 'keepalived-ts ran').toBeDefined();
    expect({ up: k!.up, removed: k!.removed, back: k!.back }).toEqual({ up: true, removed: true, back: true });
    expect(k!.mails).toHaveLength(count);
    expect(t!.mails).toEqual(k!.mails);
  });
});
