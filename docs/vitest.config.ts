import { fileURLToPath } from 'node:url';
import { defineProject } from 'vitest/config';

const src = (path: string): string => fileURLToPath(new URL(`../packages/core/src/${path}`, import.meta.url));
const adapter = (name: string): string => fileURLToPath(new URL(`../adapters/${name}/src/index.ts`, import.meta.url));

export default defineProject({
  test: {
    name: 'docs',
    include: ['test/**/*.test.ts'],
    testTimeout: 120_000,
  },
  resolve: {
    // Most specific first: '@lmo/core' would otherwise also capture '@lmo/core/reference'.
    alias: [
      { find: /^@lmo\/core\/backend$/, replacement: src('backend/index.ts') },
      { find: /^@lmo\/core\/reference$/, replacement: src('reference/index.ts') },
      { find: /^@lmo\/core\/testing$/, replacement: src('testing/index.ts') },
      { find: /^@lmo\/core$/, replacement: src('index.ts') },
      // The adapters' guides run their examples from source too.
      { find: /^@lmo\/tfjs$/, replacement: adapter('tfjs') },
      { find: /^@lmo\/onnxruntime$/, replacement: adapter('onnxruntime') },
      { find: /^@lmo\/gpujs$/, replacement: adapter('gpujs') },
    ],
  },
});
