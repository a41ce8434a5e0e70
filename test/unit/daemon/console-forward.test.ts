// The checker child's console forwarded by the main process (src/daemon/checker-child.ts
// WholeLines, src/io/logger.ts consoleForwarder): a child writing large bursts to its stdout and
// stderr reaches the main process's console in whole lines only, interleaved with the main
// process's own lines at line boundaries, where two writers of one pipe mixed them.
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { CheckerChild, WholeLines } from '../../../src/daemon/checker-child.js';
import { consoleForwarder, createRootLogger, logsWritten } from '../../../src/io/logger.js';

const dir = mkdtempSync(join(tmpdir(), 'kts-console-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('WholeLines', () => {
  it('passes on whole lines only, holding what follows the last newline', () => {
    const out: string[] = [];
    const w = new WholeLines((b) => out.push(b.toString()));
    w.push(Buffer.from('a1\na'));
    w.push(Buffer.from('2-'));
    w.push(Buffer.from('more\nb1\nb'));
    expect(out).toEqual(['a1\n', 'a2-more\nb1\n']);
    w.end();
    expect(out).toEqual(['a1\n', 'a2-more\nb1\n', 'b\n']);
    w.end();
    expect(out).toHaveLength(3);
  });

  it('a line that never ends is passed on once it is 1 MB', () => {
    const out: Buffer[] = [];
    const w = new WholeLines((b) => out.push(b));
    for (let i = 0; i < 4; i++) w.push(Buffer.alloc(300_000, 120));
    expect(out).toHaveLength(1);
    expect(out[0]!.length).toBe(1_200_001);
    expect(out[0]![out[0]!.length - 1]).toBe(10);
  });
});

describe('consoleForwarder', () => {
  it('is there for a console of JSON lines only', () => {
    const fd = openSync(join(dir, 'x.txt'), 'w');
    try {
      createRootLogger({ fd });
      expect(consoleForwarder()).toBeTypeOf('function');
      createRootLogger({ fd, format: 'readable' });
      expect(consoleForwarder()).toBeUndefined();
      createRootLogger({ fd, journal: true });
      expect(consoleForwarder()).toBeUndefined();
      createRootLogger({ fd, console: false });
      expect(consoleForwarder()).toBeUndefined();
    } finally {
      closeSync(fd);
    }
  });

  it('a child\'s bursts on stdout and stderr reach the console in whole lines, among the parent\'s own', async () => {
    const file = join(dir, 'console.jsonl');
    const fd = openSync(file, 'w');
    const log = createRootLogger({ fd });
    const forward = consoleForwarder()!;
    // the child: 2,000 lines of 300 bytes on each stream, in writes of 64 KB cut anywhere
    const script = join(dir, 'child.mjs');
    writeFileSync(script, `
      import { writeSync } from 'node:fs';
      for (const fdOut of [1, 2]) {
        let text = '';
        for (let i = 0; i < 2000; i++) text += JSON.stringify({ level: 'info', child: fdOut, i, pad: 'y'.repeat(250) }) + '\\n';
        for (let at = 0; at < text.length; at += 65536) writeSync(fdOut, text.slice(at, at + 65536));
      }
      process.exit(0);
    `);
    let exited = false;
    const c = new CheckerChild({
      cli: script, args: [], log: pino({ level: 'silent' }), console: forward,
      onDied: () => {
        exited = true;
      },
    });
    const ticker = setInterval(() => log.info({ parent: true, pad: 'z'.repeat(250) }, 'parent line'), 1);
    try {
      c.start();
      const t0 = Date.now();
      while (Date.now() - t0 < 20_000) {
        await new Promise((r) => setTimeout(r, 20));
        await logsWritten();
        const n = readFileSync(file, 'utf8').split('\n').filter((l) => l.includes('"child"')).length;
        if (exited && n === 4000) break;
      }
    } finally {
      clearInterval(ticker);
      await c.stop(1000);
      await logsWritten();
      closeSync(fd);
    }
    const lines = readFileSync(file, 'utf8').split('\n').filter(Boolean);
    // every line is one whole JSON object: nothing of one line inside another
    for (const l of lines) expect(() => JSON.parse(l)).not.toThrow();
    const child = lines.map((l) => JSON.parse(l) as { child?: number; i?: number }).filter((o) => o.child !== undefined);
    expect(child).toHaveLength(4000);
    for (const s of [1, 2]) expect(child.filter((o) => o.child === s).map((o) => o.i)).toEqual([...Array(2000).keys()]);
    expect(lines.some((l) => l.includes('"parent":true'))).toBe(true);
  }, 30_000);
});
