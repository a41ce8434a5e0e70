import { defineConfig } from 'vitest/config';

// Tiers (see test/README.md): unit and sim are pure; netns, interop and uml need root and
// create (and remove) their own namespaces / guests. All tiers run in CI.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    reporters: ['default'],
  },
});
