import { defineConfig } from 'vitest/config';

/** `npm run fidelity` only: the report runs the whole differential suite once and prints its table. */
export default defineConfig({
  test: {
    root: new URL('../..', import.meta.url).pathname,
    include: ['test/differential/fidelity.report.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
  },
});
