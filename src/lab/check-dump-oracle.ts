/**
 * The checker side of the effective-configuration oracle (issue 16): keepalived 2.2.7's and
 * keepalived-ts's keepalived_check.data for the same configuration, compared line by line once
 * what is momentary is masked (CHECK_NORMALISE, nothing else). The dumps themselves are taken in
 * a user-mode Linux guest, where IPVS exists (test/uml/guest/check-dump.mjs); this module only
 * compares them.
 */
import { diffLines, normaliseDump, type NormaliseRule } from './dump-oracle.js';

export const CHECK_NORMALISE: readonly NormaliseRule[] = [
  // when a MISC_CHECK script last started: a wall-clock time
  { why: 'times', match: /^( {3}Last ran = ).*$/, replace: '$1<time>' },
  // where a checker is in its retry cycle at the moment of the dump (a failing TCP or SMTP
  // check keeps counting its retries while down)
  { why: 'retry cycle', match: /^( {3}Retries iterations = )\d+$/, replace: '$1<n>' },
];

/** Unified-diff lines of the normalised dumps: `- ` only in keepalived's, `+ ` only in keepalived-ts's. */
export function diffCheckDumps(keepalived: string, kts: string): string[] {
  return diffLines(normaliseDump(keepalived, CHECK_NORMALISE), normaliseDump(kts, CHECK_NORMALISE));
}
