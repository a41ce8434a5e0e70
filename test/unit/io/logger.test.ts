import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createRootLogger } from '../../../src/io/logger.js';

describe('root logger', () => {
  const dir = mkdtempSync(join(tmpdir(), 'kts-log-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('writes JSON lines with the child scope as fields and redacts auth_pass', () => {
    const file = join(dir, 'log.jsonl');
    const fd = openSync(file, 'w');
    const log = createRootLogger({ fd }).child({ mod: 'vrrp', inst: 'VI_1', vrid: 51 });
    log.info({ from: 'BACKUP', to: 'MASTER', authentication: { authType: 'PASS', authPass: 'sEcReT' } }, 'Entering MASTER STATE');
    closeSync(fd);
    const line = JSON.parse(readFileSync(file, 'utf8').trim().split('\n').pop()!);
    expect(line).toMatchObject({ mod: 'vrrp', inst: 'VI_1', vrid: 51, from: 'BACKUP', to: 'MASTER', msg: 'Entering MASTER STATE' });
    expect(JSON.stringify(line)).not.toContain('sEcReT');
  });
});
