// The checker child's own journald stream (src/io/journal-stream.ts): against a stand-in for
// journald's stdout socket, the header comes first and the logger's lines follow whole, each
// with its priority; with nothing listening there is no stream. The checker child's use of it:
// test/netns/journal-child.test.ts.
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { fakeJournald } from '../../helpers/fake-journald.js';
import { journalHeader, openJournalStream } from '../../../src/io/journal-stream.js';
import { createRootLogger, logsWritten } from '../../../src/io/logger.js';

const dir = mkdtempSync(join(tmpdir(), 'kts-journal-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const until = async (cond: () => boolean, ms = 3000): Promise<void> => {
  const t0 = Date.now();
  while (!cond() && Date.now() - t0 < ms) await new Promise((r) => setTimeout(r, 10));
};

describe('openJournalStream', () => {
  it('sends the header, then the lines written to its fd, each with its priority', async () => {
    const path = join(dir, 'stdout.sock');
    const j = await fakeJournald(path);
    try {
      const s = await openJournalStream('keepalived-ts', path);
      expect(s).toBeDefined();
      const st = statSync(`/proc/self/fd/${s!.fd}`, { bigint: true });
      expect(s!.id).toBe(`${st.dev}:${st.ino}`);
      const log = createRootLogger({ fd: s!.fd, journal: true });
      log.info('one');
      log.error({ big: 'x'.repeat(200_000) }, 'two');
      await logsWritten();
      const complete = (): boolean => (j.received()[0] ?? '').split('\n').filter((l) => l.startsWith('<')).length === 2;
      await until(complete);
      const text = j.received()[0]!;
      expect(text.startsWith(journalHeader('keepalived-ts'))).toBe(true);
      expect(journalHeader('keepalived-ts')).toBe('keepalived-ts\n\n6\n1\n0\n0\n0\n');
      const lines = text.slice(journalHeader('keepalived-ts').length).split('\n').filter(Boolean);
      expect(lines.map((l) => [l.slice(0, 3), (JSON.parse(l.slice(3)) as { msg: string }).msg])).toEqual([['<6>', 'one'], ['<3>', 'two']]);
      s!.close();
    } finally {
      j.server.close();
    }
  });

  it('nothing listening: no stream', async () => {
    expect(await openJournalStream('keepalived-ts', join(dir, 'none.sock'))).toBeUndefined();
  });
});
