import { fileURLToPath } from 'node:url';
import { defineProject } from 'vitest/config';

const core = (path: string): string => fileURLToPath(new URL(`../../packages/core/src/${path}`, import.meta.url));

export default defineProject({
  resolve: {
    // Tests run against core's sources, so no build is needed. Most specific first.
    alias: [
      { find: '@lmo/core/reference', replacement: core('reference/index.ts') },
      { find: '@lmo/core/testing', replacement: core('testing/index.ts') },
      { find: /^@lmo\/core$/, replacement: core('index.ts') },
    ],
  },
  test: { name: 'onnxruntime', include: ['test/**/*.test.ts'], testTimeout: 60_000 },
});
