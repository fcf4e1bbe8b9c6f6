import { defineProject } from 'vitest/config';
import { workspaceSources } from '../vitest.sources.js';

export default defineProject({
  ...workspaceSources,
  test: { name: 'docs', include: ['test/**/*.test.ts'], testTimeout: 120_000 },
});
