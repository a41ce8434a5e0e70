// The daemon's first start (src/daemon/main.ts runDaemon, src/daemon/checker-child.ts): the
// checker child reads its configuration and says so, and waits for the parent's go; the parent
// learns whether it could read it before its own side starts. A child (the built one's
// sayConfigRead and parentGo, as the checker child runs them) in a scratch script.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { CheckerChild, CHECKER_EXIT_FATAL } from '../../../src/daemon/checker-child.js';

const dir = mkdtempSync(join(tmpdir(), 'kts-checker-start-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const built = join(import.meta.dirname, '../../../dist/src/daemon/checker-child.js');

/**
 * A child that "reads" (`readMs`), exits with `failWith` if given, else says it read and waits
 * for the go, then writes `went` to its file and stays until the channel closes.
 */
function childScript(name: string, readMs: number, failWith?: number): { script: string; went: string } {
  const script = join(dir, `${name}.mjs`);
  const went = join(dir, `${name}.went`);
  // as the checker child does (cli.ts, main.ts runCheckers): it says it read, then listens to
  // its parent (which lets go of the channel's hold on the event loop), then waits for the go
  writeFileSync(script, `
    import { writeFileSync } from 'node:fs';
    import { onParentEvent, parentGo, sayConfigRead, watchParent } from ${JSON.stringify(built)};
    await new Promise((r) => setTimeout(r, ${readMs}));
    ${failWith !== undefined ? `process.exit(${failWith});` : ''}
    sayConfigRead();
    watchParent(() => process.exit(0));
    onParentEvent(() => undefined);
    await parentGo();
    writeFileSync(${JSON.stringify(went)}, String(Date.now()));
    setInterval(() => undefined, 1000);
  `);
  return { script, went };
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const exists = async (file: string, ms: number): Promise<boolean> => {
  const { existsSync } = await import('node:fs');
  for (const t0 = Date.now(); Date.now() - t0 < ms; await sleep(20)) if (existsSync(file)) return true;
  return existsSync(file);
};

describe('the checker child held at its first start', () => {
  it('says when it has read; goes on only at release, and then the parent hears that it listens', async () => {
    const { script, went } = childScript('held', 200);
    let started = 0;
    const c = new CheckerChild({ cli: script, args: [], log: pino({ level: 'silent' }), onStarted: () => started++ });
    try {
      c.start(true);
      expect(await c.configRead()).toBe(true);
      // read, and held: it waits (with nothing else holding its event loop), and onStarted waits with it
      expect(await exists(went, 1500)).toBe(false);
      expect([c.running, started]).toEqual([true, 0]);
      c.release();
      expect(started).toBe(1);
      expect(await exists(went, 5000)).toBe(true);
      // asked again after the reading: at once
      expect(await c.configRead()).toBe(true);
    } finally {
      await c.stop(1000);
    }
  }, 20_000);

  it('a child that exits before it has read: configRead is false, its exit status kept, no restart and no fatal callback', async () => {
    const { script } = childScript('fails', 50, CHECKER_EXIT_FATAL);
    let fatal = 0;
    let died = 0;
    const c = new CheckerChild({
      cli: script, args: [], log: pino({ level: 'silent' }), restartDelayMs: 10,
      onFatal: () => fatal++, onDied: () => died++,
    });
    c.start(true);
    expect(await c.configRead()).toBe(false);
    expect(c.exitCode).toBe(CHECKER_EXIT_FATAL);
    await sleep(300);
    expect([c.running, fatal, died]).toEqual([false, 0, 0]);
    await c.stop(1000);
  }, 20_000);

  it('a child that read and then died while held: started again at release, not before', async () => {
    const script = join(dir, 'dies.mjs');
    const went = join(dir, 'dies.went');
    const marker = join(dir, 'dies.first');
    // the first run says it read, then dies; the second goes on normally
    writeFileSync(script, `
      import { existsSync, writeFileSync } from 'node:fs';
      import { parentGo, sayConfigRead, watchParent } from ${JSON.stringify(built)};
      watchParent(() => process.exit(0));
      const first = !existsSync(${JSON.stringify(marker)});
      writeFileSync(${JSON.stringify(marker)}, '');
      if (first) { process.send({ kts: 'configRead' }); setTimeout(() => process.exit(1), 50); }
      else { sayConfigRead(); await parentGo(); writeFileSync(${JSON.stringify(went)}, ''); setInterval(() => undefined, 1000); }
    `);
    let fatal = 0;
    const c = new CheckerChild({ cli: script, args: [], log: pino({ level: 'silent' }), restartDelayMs: 10, onFatal: () => fatal++ });
    try {
      c.start(true);
      expect(await c.configRead()).toBe(true);
      await sleep(400);
      expect([c.running, c.restarts, fatal]).toEqual([false, 0, 0]);
      c.release();
      expect(await exists(went, 5000)).toBe(true);
      expect([c.running, c.restarts]).toEqual([true, 1]);
    } finally {
      await c.stop(1000);
    }
  }, 20_000);

  it('a child whose parent goes before the go ends, and never goes on', async () => {
    const script = join(dir, 'orphan.mjs');
    const went = join(dir, 'orphan.went');
    // no watchParent: the channel closes before the child could have listened for it
    writeFileSync(script, `
      import { writeFileSync } from 'node:fs';
      import { parentGo, sayConfigRead } from ${JSON.stringify(built)};
      sayConfigRead();
      setTimeout(() => process.disconnect(), 100);
      await parentGo();
      writeFileSync(${JSON.stringify(went)}, '');
    `);
    const c = new CheckerChild({ cli: script, args: [], log: pino({ level: 'silent' }) });
    try {
      c.start(true);
      expect(await c.configRead()).toBe(true);
      for (const t0 = Date.now(); c.exitCode === null && Date.now() - t0 < 5000; await sleep(50));
      // (13: node's exit status for a top-level await left unsettled, this script's)
      expect([c.exitCode, await exists(went, 200)]).toEqual([13, false]);
    } finally {
      await c.stop(1000);
    }
  }, 20_000);

  it('not held (a restart, a start at a reload): goes on as soon as it has read', async () => {
    const { script, went } = childScript('free', 50);
    const c = new CheckerChild({ cli: script, args: [], log: pino({ level: 'silent' }) });
    try {
      c.start();
      expect(await exists(went, 5000)).toBe(true);
      expect(await c.configRead()).toBe(true);
    } finally {
      await c.stop(1000);
    }
  }, 20_000);
});
