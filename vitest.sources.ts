/**
 * Tests run against the packages' TypeScript sources, without a build: each package.json maps its
 * entry points to their sources under the `@lmo/source` export condition, and every vitest project
 * resolves with that condition first (see scripts/package-entries.mjs).
 */
import { SOURCE_CONDITION } from './scripts/package-entries.mjs';

/** Vite's default conditions (Vite 6+), with the sources' condition in front. */
const server = [SOURCE_CONDITION, 'module', 'node', 'development|production'];
const client = [SOURCE_CONDITION, 'module', 'browser', 'development|production'];

/** The resolve options of a vitest project that tests the workspace packages on their sources. */
export const workspaceSources = {
  resolve: { conditions: client },
  ssr: { resolve: { conditions: server } },
} as const;
