/**
 * Config diagnostics: every problem found while reading or validating a config, with its
 * location, a stable code and keepalived's error class (lib/parser.h config_err_t), so that
 * `-t` exits as keepalived 2.2.7 does for the same file.
 */
import type { ErrorCode } from '../errors/index.js';
import type { Loc } from './loc.js';

/** keepalived's config_err_t, in its enum order (index = numeric value). */
export const KA_CLASSES = [
  'OK',
  'FILE_NOT_FOUND',
  'BAD_IF',
  'FATAL',
  'MULTIPLE_FILES',
  'UNKNOWN_KEYWORD',
  'UNEXPECTED_BOB',
  'MISSING_BOB',
  'UNEXPECTED_EOB',
  'MISSING_EOB',
  'UNMATCHED_QUOTE',
  'MISSING_PARAMETER',
  'INVALID_NUMBER',
  'GENERAL_ERROR',
  'WARNING',
  'DEPRECATED',
  'SECURITY_ERROR',
] as const;
export type KaClass = (typeof KA_CLASSES)[number];

export type Severity = 'error' | 'warning' | 'info';

export interface Diagnostic {
  readonly code: ErrorCode;
  readonly kaClass: KaClass;
  readonly message: string;
  readonly loc?: Loc;
  /** e.g. "did you mean 'priority'?" */
  readonly hint?: string;
  /** keepalived treats the configuration as absent (fatal include): `-t` exits 6. */
  readonly noConfig?: boolean;
  /** keepalived-ts's own advice where keepalived says nothing: shown as a warning, exit status unchanged. */
  readonly advisory?: boolean;
  /** keepalived's `-t` passes (with this class) but its daemon refuses to run the configuration. */
  readonly refusesRun?: boolean;
  /** The row of docs/semantics.md (keepalived's behaviour) this diagnostic reports. */
  readonly row?: string;
  /** keepalived exits with this status at this point (`-t` too), reading nothing more. */
  readonly exitsWith?: number;
  /** keepalived logs this line when it starts (its VRRP process), not at `-t`: the daemon's log only. */
  readonly atStart?: boolean;
}

export function severityOf(d: Diagnostic): Severity {
  if (d.advisory) return 'warning';
  if (d.kaClass === 'OK') return 'info';
  if (d.kaClass === 'WARNING' || d.kaClass === 'DEPRECATED' || d.kaClass === 'MULTIPLE_FILES') return 'warning';
  return 'error';
}

/** Whether a diagnostic is shown to the operator (`-t` on stderr, the daemon's log at start):
 * every warning and error, and of the info class what keepalived-ts does not support and
 * include notes. */
export function isReported(d: Diagnostic): boolean {
  return severityOf(d) !== 'info' || d.code === 'CONFIG_UNSUPPORTED' || d.code === 'CONFIG_INCLUDE' || d.refusesRun === true;
}

export class Diagnostics {
  readonly list: Diagnostic[] = [];

  add(code: ErrorCode, kaClass: KaClass, message: string, loc?: Loc, extra?: { hint?: string; noConfig?: boolean; advisory?: boolean; refusesRun?: boolean; row?: string; exitsWith?: number; atStart?: boolean }): void {
    this.list.push({ code, kaClass, message, ...(loc ? { loc } : {}), ...extra });
  }

  /** keepalived keeps the numerically largest class seen. */
  worstClass(): KaClass {
    let worst = 0;
    for (const d of this.list) worst = Math.max(worst, KA_CLASSES.indexOf(d.kaClass));
    return KA_CLASSES[worst]!;
  }

  /** The exit status of `keepalived -t` for these diagnostics (lib/scheduler.h, main.c). */
  configTestExitCode(): number {
    const exits = this.list.find((d) => d.exitsWith !== undefined);
    if (exits) return exits.exitsWith!;
    if (this.list.some((d) => d.noConfig)) return 6;
    const worst = this.worstClass();
    if (worst === 'OK') return 0;
    if (worst === 'FILE_NOT_FOUND' || worst === 'BAD_IF' || worst === 'FATAL') return 4;
    if (worst === 'SECURITY_ERROR') return 6;
    return 5;
  }

  /** Errors that would stop keepalived from running this config. */
  cannotRun(): boolean {
    const worst = this.worstClass();
    // a missing interface stops keepalived's VRRP process whatever else -t reports ("Non-existent
    // interface specified in configuration"), even when a general error makes -t exit 5
    return this.list.some((d) => d.noConfig || d.refusesRun || d.exitsWith !== undefined || d.kaClass === 'BAD_IF') || worst === 'FILE_NOT_FOUND' || worst === 'FATAL';
  }
}

/** Source text by file, for printing the offending line under a diagnostic. */
export interface SourceLines {
  get(file: string): readonly string[] | undefined;
}

export function formatDiagnostic(d: Diagnostic, sources?: SourceLines): string {
  const sev = severityOf(d);
  const where = d.loc ? `${d.loc.file}:${d.loc.line}:${d.loc.col}: ` : '';
  let out = `${where}${sev === 'error' ? '' : `${sev}: `}${d.message} [${d.code}]`;
  if (d.hint) out += `\n  hint: ${d.hint}`;
  const line = d.loc ? sources?.get(d.loc.file)?.[d.loc.line - 1] : undefined;
  if (d.loc && line !== undefined) {
    const shown = line.replace(/\t/g, ' ');
    out += `\n  ${d.loc.line} | ${shown}\n  ${' '.repeat(String(d.loc.line).length)} | ${' '.repeat(Math.max(0, d.loc.col - 1))}^`;
  }
  return out;
}
