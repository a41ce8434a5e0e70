/**
 * The keyword DSL: small constructors for keyword-table entries and argument readers that
 * report keepalived's errors at the offending word. A keyword either stores a typed value in
 * its block's draft, or is reported as accepted-but-unsupported with its location.
 */
import { type IpAddress, type IpPrefix, parsePrefix, parseSockaddr } from '../util/ip.js';
import type { Draft, Keyword, KeywordTable, ParseCtx } from './parser.js';
import { lineLoc, type Line } from './line.js';
import type { Script } from './model.js';
import { quotedEscapedWords } from './grammar.js';
import { setFieldLoc } from './loc.js';

export const table = <D extends object = Draft>(entries: Record<string, Keyword<D>>): KeywordTable<D> => new Map(Object.entries(entries));

// ------------------------------------------------------------------ argument readers

export function need(ctx: ParseCtx, line: Line, i: number): string | undefined {
  const w = line.words[i];
  if (w === undefined) {
    ctx.report('CONFIG_MISSING', 'MISSING_PARAMETER', `${line.words[0]} is missing a parameter`, lineLoc(line, 0));
  }
  return w;
}

const INT_RE = /^[-+]?(0x[0-9a-f]+|0[0-7]*|[1-9][0-9]*)$/i;

/**
 * What strtol / strtoul make of a word that is not a number: the number its digits start with
 * (0 for none). Unsigned, a leading '-' is a negative number, outside any range.
 */
function numericPrefix(w: string, signed: boolean): number | undefined {
  const m = /^\s*([-+]?)([0-9]*)/.exec(w)!;
  if (m[1] === '-' && !signed) return undefined;
  const n = m[2] === '' ? 0 : Number(m[2]);
  return m[1] === '-' ? -n : n;
}

/**
 * The common word, up to nine decimal digits (for base 0 without a leading zero, which would be
 * octal), read at once without a string made; -1 for any other word (the general path's).
 */
function plainDigits(w: string, base: 0 | 10): number {
  const len = w.length;
  if (len === 0 || len > 9 || (base === 0 && len > 1 && w.charCodeAt(0) === 48)) return -1;
  let n = 0;
  for (let k = 0; k < len; k++) {
    const d = w.charCodeAt(k) - 48;
    if (d < 0 || d > 9) return -1;
    n = n * 10 + d;
  }
  return n;
}

/**
 * Integer in [min, max]; keepalived's read_int / read_unsigned (strtol base 0 / 10).
 * `lenient`: keepalived's reader is called with ignore_error. Outside `-t` (ctx.runtime) such a
 * reader takes a word with trailing junk at its numeric prefix, with a warning, when that is in
 * range (lib/parser.c read_unsigned_func): `1.5` runs 1, `maybe` runs 0; `-t` keeps the default.
 */
export function argInt(ctx: ParseCtx, line: Line, i: number, min: number, max: number, base: 0 | 10 = 10, lenient = false): number | undefined {
  const w = need(ctx, line, i);
  if (w === undefined) return undefined;
  const plain = plainDigits(w, base);
  if (plain !== -1) {
    if (plain >= min && plain <= max) return plain;
    ctx.report('CONFIG_RANGE', 'INVALID_NUMBER', `${line.words[0]} ${w} out of range ${min}..${max}`, lineLoc(line, i));
    return undefined;
  }
  const re = base === 10 ? /^[-+]?[0-9]+$/ : INT_RE;
  if (!re.test(w)) {
    const n = lenient && ctx.runtime && base === 10 ? numericPrefix(w, min < 0) : undefined;
    if (n !== undefined && n >= min && n <= max) {
      // row: parser.number-prefix-at-run-time
      ctx.report('CONFIG_VALUE', 'INVALID_NUMBER', `WARNING - invalid number '${w}'`, lineLoc(line, i), { row: 'parser.number-prefix-at-run-time' });
      return n;
    }
    ctx.report('CONFIG_VALUE', 'INVALID_NUMBER', `invalid number '${w}'`, lineLoc(line, i));
    return undefined;
  }
  const neg = w.startsWith('-');
  const body = w.replace(/^[-+]/, '');
  let n = base === 0 && /^0x/i.test(body) ? parseInt(body.slice(2), 16) : base === 0 && body.length > 1 && body[0] === '0' ? parseInt(body, 8) : parseInt(body, 10);
  if (neg) n = -n;
  if (n < min || n > max) {
    ctx.report('CONFIG_RANGE', 'INVALID_NUMBER', `${line.words[0]} ${w} out of range ${min}..${max}`, lineLoc(line, i));
    return undefined;
  }
  return n;
}

const PLAIN_DECIMAL = /^[0-9]{1,9}(\.[0-9]{1,6})?$/;

/**
 * What keepalived's read_decimal_unsigned_long_func (lib/parser.c) makes of a word, in units of
 * 10^-shift: the decimal point is dropped, the decimals cut to `shift` (rounding on the next
 * character), zeros appended, and strtoull reads the digits it starts with. `valid`: the whole
 * word was read. So `0.5s` is 5 µs, not half a second; `abc` is 0.
 */
export function keepalivedDecimal(w: string, shift: number): { value: number; valid: boolean; tooManyDecimals: boolean } {
  // the common word, digits with decimals that fit: read at once (what the general path reads)
  if (PLAIN_DECIMAL.test(w)) {
    const p = w.indexOf('.');
    const decimals = p < 0 ? 0 : w.length - p - 1;
    if (decimals <= shift) {
      const digits = p < 0 ? w : w.slice(0, p) + w.slice(p + 1);
      return { value: Number(digits) * 10 ** (shift - decimals), valid: true, tooManyDecimals: false };
    }
  }
  const dp = w.indexOf('.');
  let decimals = dp < 0 ? 0 : w.length - dp - 1;
  const tooManyDecimals = decimals > shift;
  let roundUp = false;
  if (tooManyDecimals) {
    roundUp = w.charCodeAt(dp + shift + 1) >= 0x35; // a character from '5' up, as C compares it
    decimals = shift;
  }
  const joined = (dp < 0 ? w : w.slice(0, dp) + w.slice(dp + 1, dp + 1 + decimals)) + '0'.repeat(shift - decimals);
  const m = /^\s*\+?([0-9]*)/.exec(joined)!;
  const value = (m[1] === '' ? 0 : Number(m[1])) + (roundUp ? 1 : 0);
  return { value, valid: m[1] !== '' && m[0].length === joined.length, tooManyDecimals };
}

/**
 * A decimal number of seconds with up to 6 decimals (keepalived's read_timer, read with
 * ignore_error), returned in milliseconds (may be fractional). Range in seconds. As keepalived:
 * more decimals are an error but rounded and used; outside `-t` (ctx.runtime) a word that is not
 * a number runs at what keepalivedDecimal reads of it when that is in range, with a warning.
 */
export function argSeconds(ctx: ParseCtx, line: Line, i: number, minS: number, maxS: number): number | undefined {
  const w = need(ctx, line, i);
  if (w === undefined) return undefined;
  // the common word, whole seconds: what keepalivedDecimal reads of it, without its result object
  const plain = plainDigits(w, 10);
  if (plain !== -1 && plain >= minS && plain <= maxS) return whole(plain * 1000);
  const warn = ctx.runtime ? 'WARNING - ' : '';
  if (w.startsWith('-')) {
    ctx.report('CONFIG_RANGE', 'INVALID_NUMBER', `${warn}negative number '${w}'`, lineLoc(line, i));
    return undefined;
  }
  const r = keepalivedDecimal(w, 6);
  if (r.tooManyDecimals) ctx.report('CONFIG_VALUE', 'INVALID_NUMBER', `${warn}number '${w}' has too many decimal places`, lineLoc(line, i));
  const inRange = r.value >= Math.round(minS * 1e6) && r.value <= Math.round(maxS * 1e6);
  if (!r.valid) {
    if (ctx.runtime && inRange) {
      // row: parser.number-prefix-at-run-time
      ctx.report('CONFIG_VALUE', 'INVALID_NUMBER', `WARNING - invalid number '${w}'`, lineLoc(line, i), { row: 'parser.number-prefix-at-run-time' });
      return whole(r.value / 1e3);
    }
    ctx.report('CONFIG_VALUE', 'INVALID_NUMBER', `invalid number '${w}'`, lineLoc(line, i));
    return undefined;
  }
  if (!inRange) {
    ctx.report('CONFIG_RANGE', 'INVALID_NUMBER', `${line.words[0]} ${w} out of range ${minS}..${maxS}`, lineLoc(line, i));
    return undefined;
  }
  return whole(r.value / 1e3);
}

/**
 * A whole number of milliseconds as a small integer: a quotient is a boxed double to V8, and a
 * model field holding one costs a heap number per real server.
 */
const whole = (ms: number): number => (Number.isInteger(ms) && ms <= 0x3fffffff && ms >= -0x40000000 ? ms | 0 : ms);

/** on|off|true|false|yes|no; a missing word means true. */
export function argBool(ctx: ParseCtx, line: Line, i: number): boolean | undefined {
  const w = line.words[i];
  if (w === undefined) return true;
  if (w === 'on' || w === 'true' || w === 'yes') return true;
  if (w === 'off' || w === 'false' || w === 'no') return false;
  ctx.report('CONFIG_VALUE', 'GENERAL_ERROR', `invalid ${line.words[0]} value '${w}' (expected on|off|true|false|yes|no)`, lineLoc(line, i));
  return undefined;
}

export function argIp(ctx: ParseCtx, line: Line, i: number): IpAddress | undefined {
  const w = need(ctx, line, i);
  if (w === undefined) return undefined;
  // connect_ip, bindto: keepalived's inet_stosockaddr (row: parser.address-mask-dropped)
  const ip = parseSockaddr(w);
  if (!ip) ctx.report('CONFIG_VALUE', 'GENERAL_ERROR', `invalid IP address '${w}'`, lineLoc(line, i));
  return ip;
}

export function argPrefix(ctx: ParseCtx, line: Line, i: number): IpPrefix | undefined {
  const w = need(ctx, line, i);
  if (w === undefined) return undefined;
  const p = parsePrefix(w);
  if (!p) ctx.report('CONFIG_VALUE', 'GENERAL_ERROR', `invalid address '${w}'`, lineLoc(line, i));
  return p;
}

export function argWord<T extends string>(ctx: ParseCtx, line: Line, i: number, allowed: readonly T[]): T | undefined {
  const w = need(ctx, line, i);
  if (w === undefined) return undefined;
  if ((allowed as readonly string[]).includes(w)) return w as T;
  ctx.report('CONFIG_VALUE', 'GENERAL_ERROR', `invalid ${line.words[0]} '${w}' (expected ${allowed.join('|')})`, lineLoc(line, i));
  return undefined;
}

/**
 * A script keyword: the raw line is re-split with keepalived's quoting and escapes; word 1 is
 * the command (split again the same way), words 2 and 3 the user and group.
 */
export function argScript(ctx: ParseCtx, line: Line, first = 1): Script | undefined {
  const words = quotedEscapedWords(line.text);
  if (!words) {
    ctx.report('CONFIG_SYNTAX', 'UNMATCHED_QUOTE', `${line.words[0]}: missing terminating quote`, lineLoc(line, first));
    return undefined;
  }
  const cmdText = words[first];
  if (cmdText === undefined) {
    ctx.report('CONFIG_MISSING', 'MISSING_PARAMETER', `${line.words[0]} is missing its command`, lineLoc(line, 0));
    return undefined;
  }
  const argv = quotedEscapedWords(cmdText) ?? [];
  if (argv.length === 0) {
    ctx.report('CONFIG_MISSING', 'GENERAL_ERROR', `${line.words[0]}: empty command`, lineLoc(line, first));
    return undefined;
  }
  const user = words[first + 1];
  const group = words[first + 2];
  return { argv, text: cmdText, ...(user !== undefined ? { user } : {}), ...(group !== undefined ? { group: group } : {}), loc: lineLoc(line, first) };
}

// ------------------------------------------------------------------ keyword constructors

/**
 * The fields of draft D that can hold a T: a keyword constructor names its field, and a typed
 * builder's table (Keyword<D>) checks the name and the value type against D. For the untyped
 * Draft, any name.
 */
export type FieldOf<D, T> = { [K in keyof D]-?: T extends D[K] ? K : never }[keyof D] & string;
type Setter<D, T> = (d: D, v: T, line: Line) => void;
const put = <D extends object, T>(d: D, field: FieldOf<D, T>, v: T): void => {
  // FieldOf checked that D[field] takes a T; TypeScript cannot carry that through the index
  (d as Record<string, unknown>)[field] = v;
};
const store = <D extends object, T>(field: NoInfer<FieldOf<D, T>>): Setter<D, T> => (d, v, line) => {
  put(d, field, v);
  setFieldLoc(d, field, line);
};

/**
 * An integer in [min, max]. N, when given, is the field's type of those integers (`1 | 2`,
 * the whole range): the range check is what makes the value one.
 */
export const int = <D extends object = Draft, N extends number = number>(field: NoInfer<FieldOf<D, N>>, min: NoInfer<N>, max: NoInfer<N>, set: Setter<D, N> = store(field)): Keyword<D> => ({
  handler: (ctx, line, d) => {
    const v = argInt(ctx, line, 1, min, max);
    if (v !== undefined) set(d, v as N, line);
  },
});

/** `int` for a keyword keepalived reads with ignore_error (argInt `lenient`). */
export const lenientInt = <D extends object = Draft, N extends number = number>(field: NoInfer<FieldOf<D, N>>, min: NoInfer<N>, max: NoInfer<N>, set: Setter<D, N> = store(field)): Keyword<D> => ({
  handler: (ctx, line, d) => {
    const v = argInt(ctx, line, 1, min, max, 10, true);
    if (v !== undefined) set(d, v as N, line);
  },
});

/**
 * Whole seconds, stored in milliseconds: keepalived reads these timers with read_unsigned
 * (ignore_error), so `1.5` is an invalid number (its prefix outside `-t`, argInt `lenient`).
 * `zero`: keepalived's words when it raises 0 to 1 ("... must be greater than 0, setting to 1").
 */
export const wholeSeconds = <D extends object = Draft>(field: NoInfer<FieldOf<D, number>>, min: number, max: number, zero?: (d: D) => string): Keyword<D> => ({
  handler: (ctx, line, d) => {
    let v = argInt(ctx, line, 1, min, max, 10, true);
    if (v === undefined) return;
    if (v === 0 && zero) {
      // row: parser.whole-seconds
      ctx.report('CONFIG_VALUE', 'GENERAL_ERROR', zero(d), lineLoc(line, 1), { row: 'parser.whole-seconds' });
      v = 1;
    }
    put(d, field, v * 1000);
    setFieldLoc(d, field, line);
  },
});

export const seconds = <D extends object = Draft>(field: NoInfer<FieldOf<D, number>>, minS: number, maxS: number, set: Setter<D, number> = store(field)): Keyword<D> => ({
  handler: (ctx, line, d) => {
    const v = argSeconds(ctx, line, 1, minS, maxS);
    if (v !== undefined) set(d, v, line);
  },
});

export const flag = <D extends object = Draft>(field: NoInfer<FieldOf<D, boolean>>, set: Setter<D, boolean> = store(field)): Keyword<D> => ({
  handler: (ctx, line, d) => {
    const v = argBool(ctx, line, 1);
    if (v !== undefined) set(d, v, line);
  },
});

/** A keyword that takes no value and sets `field` to `value`. */
export const mark = <D extends object = Draft, T = boolean>(field: NoInfer<FieldOf<D, T>>, value: T = true as T): Keyword<D> => ({
  handler: (_ctx, line, d) => {
    put(d, field, value);
    setFieldLoc(d, field, line);
  },
});

export const str = <D extends object = Draft>(field: NoInfer<FieldOf<D, string>>, set: Setter<D, string> = store(field)): Keyword<D> => ({
  handler: (ctx, line, d) => {
    const v = need(ctx, line, 1);
    if (v !== undefined) set(d, v, line);
  },
});

export const oneOf = <T extends string, D extends object = Draft>(field: NoInfer<FieldOf<D, T>>, allowed: readonly T[], set: Setter<D, T> = store(field)): Keyword<D> => ({
  handler: (ctx, line, d) => {
    const v = argWord(ctx, line, 1, allowed);
    if (v !== undefined) set(d, v, line);
  },
});

export const ip = <D extends object = Draft>(field: NoInfer<FieldOf<D, IpAddress>>, set: Setter<D, IpAddress> = store(field)): Keyword<D> => ({
  handler: (ctx, line, d) => {
    const v = argIp(ctx, line, 1);
    if (v !== undefined) set(d, v, line);
  },
});

export const script = <D extends object = Draft>(field: NoInfer<FieldOf<D, Script>>): Keyword<D> => ({
  handler: (ctx, line, d) => {
    const v = argScript(ctx, line);
    if (v) put(d, field, v);
  },
});

/** A value block (`kw { entry \n entry }`); each entry line is parsed by `entry`. */
export const values = <T, D extends object = Draft>(field: NoInfer<FieldOf<D, T[]>>, entry: (ctx: ParseCtx, line: Line, d: D) => T | undefined): Keyword<D> => ({
  handler: (ctx, line, d) => {
    const list = ((d as Record<string, unknown>)[field] as T[] | undefined) ?? [];
    for (const l of ctx.readValueBlock(line)) {
      const v = entry(ctx, l, d);
      if (v !== undefined) list.push(v);
    }
    put(d, field, list);
  },
});

/** Accepted by keepalived, not implemented by keepalived-ts: reported with its location. */
export const unsupported = (why = 'not implemented by keepalived-ts'): Keyword => ({
  handler: (ctx, line, d) => noteUnsupported(ctx, line, d, why),
});

/**
 * Like `unsupported`, for a keyword with a block of its own: `plain` sub-keywords take a line,
 * `valueBlocks` sub-keywords read a value block; anything else in it is an unknown keyword.
 */
export const unsupportedBlock = (plain: readonly string[], valueBlocks: readonly string[] = [], why = 'not implemented by keepalived-ts'): Keyword => ({
  sub: table(Object.fromEntries([...plain.map((k) => [k, {}]), ...valueBlocks.map((k) => [k, readsValueBlock])])),
  handler: (ctx, line, d) => noteUnsupported(ctx, line, d, why),
});

const readsValueBlock: Keyword = { handler: (ctx, line) => void ctx.readValueBlock(line) };

export function noteUnsupported(ctx: ParseCtx, line: Line, _d: Draft, why: string): void {
  ctx.report('CONFIG_UNSUPPORTED', 'OK', `'${line.words[0]}' is accepted but not supported by keepalived-ts (${why})`, lineLoc(line, 0));
}

/**
 * A keyword keepalived honours at run time and keepalived-ts does not yet: its value is read
 * into the model (dumps and --print-config show it) and the operator is told, at `-t` and at
 * start, what keepalived would do that keepalived-ts does not. Never silent.
 */
export const notHonoured = (kw: Keyword, why: string): Keyword => ({
  ...kw,
  handler: (ctx, line, d) => {
    kw.handler?.(ctx, line, d);
    noteUnsupported(ctx, line, d, why);
  },
});

export const ignored: Keyword = {};

export const alias = (target: Keyword): Keyword => target;
