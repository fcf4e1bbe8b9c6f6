import { fileURLToPath } from 'node:url';
import { defineProject } from 'vitest/config';

const core = (p: string): string => fileURLToPath(new URL(`../../packages/core/src/${p}`, import.meta.url));

export default defineProject({
  test: {
    name: 'tfjs',
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
  },
  resolve: {
    alias: [
      { find: /^@lmo\/core\/reference$/, replacement: core('reference/index.ts') },
      { find: /^@lmo\/core\/testing$/, replacement: core('testing/index.ts') },
      { find: /^@lmo\/core$/, replacement: core('index.ts') },
    ],
  },
});
