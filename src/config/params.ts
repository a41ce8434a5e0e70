/**
 * `$NAME` definitions (keepalived's defs list): the predefined ones, `$NAME=VALUE`, multi-line
 * definitions ending in a backslash, and matching a `$NAME` / `${NAME}` / `${NAME 1 2}` use.
 * Substitution into a line, which drives multi-line expansion, stays in the reader.
 */
export interface Definition {
  value: string;
  multiline: boolean;
  fn?: (params: number[]) => string;
  maxParams: number;
}

export interface DefinitionMatch {
  readonly def: Definition;
  /** Offset just past the use. */
  readonly end: number;
  readonly params: number[];
}

export interface Predefined {
  /** ${_PWD}: the directory of the file being read. */
  pwd(): string;
  /** ${_INSTANCE}: the config id. */
  instance(): string;
  /** In [0, 1), for ${_RANDOM [MIN [MAX]]}. */
  random(): number;
}

export class Definitions {
  private readonly defs = new Map<string, Definition>();
  /** The multi-line definition whose lines are being collected. */
  private collecting: Definition | undefined;

  constructor(std: Predefined) {
    const add = (name: string, value: string, fn?: (p: number[]) => string, maxParams = 0) =>
      this.defs.set(name, { value, multiline: false, ...(fn ? { fn } : {}), maxParams });
    add('_PWD', '', () => std.pwd());
    add('_INSTANCE', '', () => std.instance());
    add(
      '_RANDOM',
      '',
      (p) => {
        const min = p[0] ?? 0;
        const max = p[1] ?? 32767;
        return String(min + Math.floor(std.random() * (Math.max(max, min) - min + 1)));
      },
      2,
    );
    add('_HASH', '#');
    add('_BANG', '!');
  }

  get size(): number {
    return this.defs.size;
  }

  get isCollecting(): boolean {
    return this.collecting !== undefined;
  }

  /** A plain definition (also what ~SEQ / ~LST set for their variable). */
  set(name: string, value: string): void {
    this.defs.set(name, { value, multiline: false, maxParams: 0 });
  }

  /** `$NAME=VALUE`; a trailing backslash starts a multi-line definition. */
  start(name: string, rawValue: string): void {
    if (rawValue.endsWith('\\')) {
      const def: Definition = { value: rawValue.slice(0, -1).replace(/[ \t]+$/, ''), multiline: true, maxParams: 0 };
      this.defs.set(name, def);
      this.collecting = def;
      return;
    }
    this.set(name, rawValue);
  }

  /** The next line of a multi-line definition; one without a trailing backslash ends it. */
  continue(text: string): void {
    const def = this.collecting!;
    let line = text;
    if (line.endsWith('\\')) line = line.slice(0, -1).replace(/[ \t]+$/, '');
    else this.collecting = undefined;
    if (line.length) def.value = def.value.length ? `${def.value}\n${line}` : line;
    if (!this.collecting && !def.value.includes('\n')) def.multiline = false;
  }

  /** An empty physical line ends a multi-line definition. */
  stopCollecting(): void {
    this.collecting = undefined;
  }

  /**
   * The definition used at `s[dollar]`: `$NAME` followed by a blank, `,`, `)` or the end;
   * `${NAME}` anywhere; `${NAME 1 2}` for definitions taking numbers. A multi-line definition
   * only matches at the end of the line.
   */
  match(s: string, dollar: number): DefinitionMatch | undefined {
    let p = dollar + 1;
    const braces = s[p] === '{';
    if (braces) p++;
    const nameStart = p;
    if (!/[A-Za-z_]/.test(s[p] ?? '')) return undefined;
    while (p < s.length && /[A-Za-z0-9_]/.test(s[p]!)) p++;
    const name = s.slice(nameStart, p);
    let params: number[] = [];
    if (braces) {
      const close = s.indexOf('}', p);
      if (close === -1) return undefined;
      const paramText = s.slice(p, close);
      if (paramText.length) {
        if (!/^( +[0-9]+)+$/.test(paramText)) return undefined;
        params = paramText.trim().split(/ +/).map(Number);
      }
      p = close + 1;
    } else if (p < s.length && !/[ \t,)]/.test(s[p]!)) return undefined;
    const def = this.defs.get(name);
    if (!def) return undefined;
    if (def.multiline && p !== s.length) return undefined;
    if (params.length && params.length > def.maxParams) return undefined;
    return { def, end: p, params };
  }
}
