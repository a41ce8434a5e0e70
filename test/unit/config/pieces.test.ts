// A file larger than one piece (64 KB) is read a piece at a time, whole lines each
// (src/config/config-files.ts readPiece): what it yields equals the same text read at once,
// whatever straddles the end of a piece: a multi-line definition, a line continued by a
// backslash, CRLF, a line longer than a piece.
import { readdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/load.js';
import { Reader } from '../../../src/config/reader.js';
import { fakeMachine, lineData, readAll, TmpDir } from './helpers.js';

const tmp = new TmpDir();
afterAll(() => tmp.cleanup());

/** Block `i`: its length varies with i, so the constructs fall at every place of a piece's end. */
function block(i: number): string {
  const pad = 'x'.repeat((i * 37) % 200);
  return [
    `$D${i}=${i % 250}`,
    `$M${i}=advert_int 1 \\`,
    `    priority ${100 + (i % 50)}`,
    `# ${pad}`,
    `vrrp_instance VI_${i} {\r`,
    `    interface eth${i % 2}`,
    `    virtual_router_id $D${i}`,
    `    $M${i}`,
    `    notify_master "/bin/echo ${pad.slice(0, 20)} \\`,
    `        done"`,
    '    virtual_ipaddress {',
    `        10.${i >> 8}.${i & 255}.1/24 ! a comment { }`,
    `        10.${i >> 8}.${i & 255}.2/24 dev eth0 }`,
    `    state BACKUP }`,
    '',
  ].join('\n');
}

function bigFile(extra = ''): string {
  const parts: string[] = ['global_defs {', '    router_id pieces', '}'];
  for (let i = 0; i < 900; i++) parts.push(block(i));
  return tmp.conf(`${parts.join('\n')}${extra}`);
}

/** The same file read at once: the command's earlier pass hands its text over (readBefore). */
const whole = (file: string): Map<string, string> => new Map([[file, readFileSync(file, 'latin1')]]);

describe('a file larger than a piece', () => {
  it('yields the lines and places of the same text read at once, on both paths of the reader', () => {
    const file = bigFile();
    expect(statSync(file).size).toBeGreaterThan(4 * 64 * 1024);
    for (const slow of [false, true]) {
      const pieces = readAll(file, {}, { slow });
      const once = readAll(file, { readBefore: whole(file) }, { slow });
      expect(pieces.lines.length).toBeGreaterThan(900 * 12);
      expect(pieces.lines).toEqual(once.lines);
      expect(pieces.reader.diagnostics.list).toEqual(once.reader.diagnostics.list);
    }
  });

  it('reads a line longer than a piece, and loads the same model and diagnostics', () => {
    const file = bigFile(`# ${'y'.repeat(150 * 1024)}\nvrrp_instance LAST {\n  interface eth1\n  virtual_router_id 7\n  bogus_keyword\n}\n`);
    const opts = { configId: 'lb1', machine: fakeMachine() };
    const pieces = loadConfig(file, opts);
    const once = loadConfig(file, { ...opts, readBefore: whole(file) });
    expect(pieces.config.vrrpInstances.length).toBe(901);
    expect(JSON.stringify(pieces.config)).toBe(JSON.stringify(once.config));
    expect(pieces.diagnostics.list).toEqual(once.diagnostics.list);
    expect(pieces.diagnostics.list.some((d) => d.message.includes('bogus_keyword'))).toBe(true);
  });

  it('reads the file as it was opened: one renamed over it meanwhile is not mixed in', () => {
    const file = bigFile();
    const want = readAll(file).lines;
    const reader = new Reader(file, { configId: 'lb1', displayBase: file.replace(/\/keepalived\.conf$/, ''), random: () => 0 });
    const got = [];
    for (let i = 0; i < 100; i++) got.push(lineData(reader.next()!));
    // a deployment writes a new file and renames it over the old one
    writeFileSync(`${file}.new`, readFileSync(file, 'latin1').replace(/VI_/g, 'XX_'));
    renameSync(`${file}.new`, file);
    for (let l = reader.next(); l; l = reader.next()) got.push(lineData(l));
    expect(got).toEqual(want);
  });

  it('leaves no file open when the reading stops early', () => {
    const fds = (): number => readdirSync('/proc/self/fd').length;
    // a keyword without its value ends keepalived's reading (and ours) in the first piece
    const file = bigFile();
    writeFileSync(file, `vrrp_instance A {\n  interface\n}\n${readFileSync(file, 'latin1')}`);
    const before = fds();
    for (let i = 0; i < 20; i++) {
      const r = loadConfig(file, { configId: 'lb1', machine: fakeMachine() });
      expect(r.diagnostics.list.some((d) => d.exitsWith === 2)).toBe(true);
    }
    expect(fds()).toBe(before);
  });
});
