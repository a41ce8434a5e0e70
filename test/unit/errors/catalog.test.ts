// docs/errors.md documents exactly the codes of ERROR_CODES: one `### CODE` section each under
// `## Codes`, with the keepalived classes it is reported with and an example.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { KA_CLASSES } from '../../../src/config/diagnostics.js';
import { ERROR_CODES } from '../../../src/errors/index.js';

const ROOT = process.cwd();
const doc = readFileSync(join(ROOT, 'docs/errors.md'), 'utf8');

/** `### NAME` sections of `## Codes`, with their text. */
function sections(): Map<string, string> {
  const start = doc.indexOf('\n## Codes\n');
  expect(start).toBeGreaterThan(-1);
  const end = doc.indexOf('\n## ', start + 1);
  const body = doc.slice(start, end === -1 ? undefined : end);
  const out = new Map<string, string>();
  const parts = body.split(/^### /m).slice(1);
  for (const p of parts) {
    const nl = p.indexOf('\n');
    const name = p.slice(0, nl).trim();
    expect(out.has(name), `${name} documented twice`).toBe(false);
    out.set(name, p.slice(nl + 1));
  }
  return out;
}

/** The `Classes:` paragraph of a section (it may wrap), up to its `Example:` line. */
const classesOf = (text: string): string | undefined => /^Classes: ([\s\S]*?)^Example: /m.exec(text)?.[1];

describe('docs/errors.md', () => {
  const docs = sections();

  it('documents every code of ERROR_CODES', () => {
    const missing = ERROR_CODES.filter((c) => !docs.has(c));
    expect(missing, `add a '### CODE' section to docs/errors.md for: ${missing.join(', ')}`).toEqual([]);
  });

  it('documents no code that does not exist', () => {
    const known = new Set<string>(ERROR_CODES);
    const extra = [...docs.keys()].filter((c) => !known.has(c));
    expect(extra, `docs/errors.md documents unknown codes: ${extra.join(', ')}`).toEqual([]);
  });

  it('lists the codes in catalog order', () => {
    expect([...docs.keys()]).toEqual([...ERROR_CODES]);
  });

  it('gives each code a meaning, its classes (all real) and an example', () => {
    for (const [code, text] of docs) {
      const classes = classesOf(text);
      expect(classes, `${code}: no 'Classes:' line`).not.toBeNull();
      for (const c of classes!.matchAll(/`([A-Z_]+)`/g)) expect(KA_CLASSES, `${code}: unknown class ${c[1]}`).toContain(c[1]);
      expect(text, `${code}: no example`).toMatch(/^Example: /m);
      expect(text.split(/^Classes: /m)[0]!.trim().length, `${code}: no meaning`).toBeGreaterThan(40);
    }
  });

  it('names every keepalived class a code is reported with in src/config', () => {
    // Catches a new `diags.add('CODE', 'CLASS', ...)` / `ctx.report(...)` pairing the docs do not mention.
    const dir = join(ROOT, 'src/config');
    const seen = new Set<string>();
    for (const f of readdirSync(dir).filter((n) => n.endsWith('.ts') && !n.includes('generated'))) {
      for (const m of readFileSync(join(dir, f), 'utf8').matchAll(/'([A-Z_]+)', '([A-Z_]+)'/g)) {
        if ((ERROR_CODES as readonly string[]).includes(m[1]!) && (KA_CLASSES as readonly string[]).includes(m[2]!)) seen.add(`${m[1]} ${m[2]}`);
      }
    }
    expect(seen.size).toBeGreaterThan(20);
    const undocumented = [...seen].filter((pair) => {
      const [code, cls] = pair.split(' ') as [string, string];
      return !classesOf(docs.get(code) ?? '')?.includes(`\`${cls}\``);
    });
    expect(undocumented).toEqual([]);
  });

  it('explains the exit statuses of -t and the advisory warnings', () => {
    const exits = doc.slice(doc.indexOf('## Exit statuses'));
    for (const status of ['0', '4', '5', '6', '1']) expect(exits).toMatch(new RegExp(`^\\| ${status} \\|`, 'm'));
    expect(doc).toMatch(/^## Advisory warnings/m);
    expect(doc).toContain('--strict');
  });
});
