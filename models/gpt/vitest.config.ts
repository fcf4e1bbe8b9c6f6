import { defineProject } from 'vitest/config';
import { workspaceSources } from '../../vitest.sources.js';

export default defineProject({
  ...workspaceSources,
  test: { name: 'gpt', include: ['test/**/*.test.ts'], testTimeout: 60_000 },
});
