import { fileURLToPath } from 'node:url';
import { defineProject } from 'vitest/config';

const core = (path: string): string => fileURLToPath(new URL(`../../packages/core/src/${path}`, import.meta.url));

export default defineProject({
  resolve: {
    // most specific first: tests run against core's source, no build needed
    alias: [
      { find: /^@lmo\/core\/backend$/, replacement: core('backend/index.ts') },
      { find: /^@lmo\/core\/reference$/, replacement: core('reference/index.ts') },
      { find: /^@lmo\/core\/testing\/vitest$/, replacement: core('testing/vitest.ts') },
      { find: /^@lmo\/core\/testing$/, replacement: core('testing/index.ts') },
      { find: /^@lmo\/core$/, replacement: core('index.ts') },
    ],
  },
  test: { name: 'gpujs', include: ['test/**/*.test.ts'], testTimeout: 60_000 },
});
