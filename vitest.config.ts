import { defineConfig } from 'vitest/config';

// Tiers (see test/README.md): unit and sim are pure and run in parallel; netns, interop and
// uml need root, create (and remove) their own namespaces / guests and measure real timers,
// so their files run one at a time (on this 2-core machine, parallel daemons starve each
// other's advert timers). All tiers run in CI.
const common = { testTimeout: 60_000, hookTimeout: 120_000, pool: 'forks' as const };

export default defineConfig({
  test: {
    reporters: ['default'],
    projects: [
      { test: { ...common, name: 'unit', include: ['test/unit/**/*.test.ts', 'test/sim/**/*.test.ts'] } },
      {
        test: {
          ...common,
          name: 'system',
          include: ['test/netns/**/*.test.ts', 'test/interop/**/*.test.ts', 'test/uml/**/*.test.ts'],
          fileParallelism: false,
        },
      },
    ],
  },
});
