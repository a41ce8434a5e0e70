// test/helpers/system.ts: a system tier never passes by not running in CI.
import { afterEach, describe, expect, it } from 'vitest';
import { skipUnless } from '../helpers/system.js';

describe('skipUnless (system-tier prerequisites)', () => {
  const ci = process.env.CI;
  afterEach(() => {
    if (ci === undefined) delete process.env.CI;
    else process.env.CI = ci;
  });

  it('runs the test when the prerequisite is there', () => {
    process.env.CI = 'true';
    expect(skipUnless(true, 'root')).toBe(false);
  });

  it('skips on a developer machine and fails in CI, naming what is missing', () => {
    delete process.env.CI;
    expect(skipUnless(false, 'root')).toBe(true);
    process.env.CI = 'true';
    expect(() => skipUnless(false, 'keepalived on PATH')).toThrow(/CI=true.*keepalived on PATH/);
  });
});
