/**
 * glob(3) as keepalived calls it for `include`: GLOB_BRACE, GLOB_MARK, `*`, `?`, `[...]`,
 * sorted matches, no tilde expansion. Reports whether any pattern part was missing, so the
 * include variants (includem / includew / includeb) can tell "missing" from "no match".
 */
import { readdirSync, statSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';

export interface GlobResult {
  /** Matching paths, in glob order (each brace alternative in turn, sorted within). */
  readonly paths: string[];
  /** Some brace alternative or literal path named nothing that exists. */
  readonly missing: boolean;
  /** The pattern had wildcards (after brace expansion). */
  readonly wildcards: boolean;
}

/** `a{b,c}d` -> [abd, acd]; nested braces work; `\{` is literal. */
export function expandBraces(pattern: string): string[] {
  let depth = 0;
  let open = -1;
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === '\\') {
      i++;
      continue;
    }
    if (c === '{') {
      if (depth === 0) open = i;
      depth++;
    } else if (c === '}' && depth > 0) {
      depth--;
      if (depth === 0) {
        const inner = pattern.slice(open + 1, i);
        const alts = splitTopLevel(inner);
        if (alts.length < 2) continue;
        const head = pattern.slice(0, open);
        const tail = pattern.slice(i + 1);
        return alts.flatMap((a) => expandBraces(head + a + tail));
      }
    }
  }
  return [pattern];
}

function splitTopLevel(s: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c === '\\') i++;
    else if (c === '{') depth++;
    else if (c === '}') depth--;
    else if (c === ',' && depth === 0) {
      parts.push(s.slice(start, i));
      start = i + 1;
    }
  }
  parts.push(s.slice(start));
  return parts;
}

const hasWildcard = (s: string): boolean => /[*?[]/.test(s);

function segmentRegex(seg: string): RegExp {
  let re = '^';
  for (let i = 0; i < seg.length; i++) {
    const c = seg[i]!;
    if (c === '\\' && i + 1 < seg.length) re += escapeRe(seg[++i]!);
    else if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else if (c === '[') {
      const close = seg.indexOf(']', i + 2);
      if (close === -1) re += '\\[';
      else {
        let body = seg.slice(i + 1, close);
        if (body.startsWith('!')) body = '^' + body.slice(1);
        re += `[${body.replace(/\\/g, '\\\\')}]`;
        i = close;
      }
    } else re += escapeRe(c);
  }
  return new RegExp(re + '$');
}

const escapeRe = (c: string): string => c.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');

function isDir(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}

function exists(p: string): boolean {
  try {
    statSync(p);
    return true;
  } catch {
    return false;
  }
}

/** Expand one brace-free pattern relative to `cwd`; results keep the pattern's form. */
function globOne(pattern: string, cwd: string, state: { missing: boolean; wildcards: boolean }): string[] {
  const abs = isAbsolute(pattern);
  const segs = pattern.split('/').filter((s, i) => s !== '' || i === 0);
  let current: string[] = [abs ? '/' : ''];
  for (let si = abs ? 1 : 0; si < segs.length; si++) {
    const seg = segs[si]!;
    const next: string[] = [];
    if (!hasWildcard(seg)) {
      for (const base of current) {
        const p = base === '' ? seg : base === '/' ? `/${seg}` : `${base}/${seg}`;
        if (exists(resolve(cwd, p))) next.push(p);
        else state.missing = true;
      }
    } else {
      state.wildcards = true;
      const re = segmentRegex(seg);
      for (const base of current) {
        const dir = resolve(cwd, base === '' ? '.' : base);
        let names: string[];
        try {
          names = readdirSync(dir);
        } catch {
          state.missing = true;
          continue;
        }
        for (const name of names.sort()) {
          if (name.startsWith('.') && !seg.startsWith('.')) continue;
          if (re.test(name)) next.push(base === '' ? name : base === '/' ? `/${name}` : `${base}/${name}`);
        }
      }
    }
    current = next;
    if (current.length === 0) break;
  }
  // GLOB_MARK: directories get a trailing '/'.
  return current.filter((p) => p !== '' && p !== '/').map((p) => (isDir(resolve(cwd, p)) ? `${p}/` : p));
}

export function glob(pattern: string, cwd: string): GlobResult {
  const state = { missing: false, wildcards: false };
  const paths: string[] = [];
  for (const alt of expandBraces(pattern)) paths.push(...globOne(alt, cwd, state));
  return { paths, missing: state.missing, wildcards: state.wildcards };
}

