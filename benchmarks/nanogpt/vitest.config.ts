import { fileURLToPath } from 'node:url';
import { defineProject } from 'vitest/config';

const src = (p: string): string => fileURLToPath(new URL(`../../${p}`, import.meta.url));

export default defineProject({
  test: {
    name: 'nanogpt',
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
  },
  resolve: {
    // Most specific first: run against the workspace sources, no build needed.
    alias: [
      { find: /^@lmo\/core\/backend$/, replacement: src('packages/core/src/backend/index.ts') },
      { find: /^@lmo\/core\/reference$/, replacement: src('packages/core/src/reference/index.ts') },
      { find: /^@lmo\/core\/testing$/, replacement: src('packages/core/src/testing/index.ts') },
      { find: /^@lmo\/core$/, replacement: src('packages/core/src/index.ts') },
      { find: /^@lmo\/tfjs$/, replacement: src('adapters/tfjs/src/index.ts') },
      { find: /^@lmo\/gpujs$/, replacement: src('adapters/gpujs/src/index.ts') },
      { find: /^@lmo\/onnxruntime\/onnx$/, replacement: src('adapters/onnxruntime/src/onnx/index.ts') },
      { find: /^@lmo\/onnxruntime$/, replacement: src('adapters/onnxruntime/src/index.ts') },
    ],
  },
});
