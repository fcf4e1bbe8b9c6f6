/**
 * Every workspace package's entry points mapped to their TypeScript sources, so that tests run
 * against the sources without a build. Each vitest project uses this one list.
 */
import { fileURLToPath } from 'node:url';

const root = (path: string): string => fileURLToPath(new URL(path, import.meta.url));

/** `[specifier, source]` for every entry point of the published packages. */
const ENTRIES: ReadonlyArray<readonly [string, string]> = [
  ['@lmo/core', 'packages/core/src/index.ts'],
  ['@lmo/core/backend', 'packages/core/src/backend/index.ts'],
  ['@lmo/core/reference', 'packages/core/src/reference/index.ts'],
  ['@lmo/core/testing', 'packages/core/src/testing/index.ts'],
  ['@lmo/core/testing/vitest', 'packages/core/src/testing/vitest.ts'],
  ['@lmo/tfjs', 'adapters/tfjs/src/index.ts'],
  ['@lmo/onnxruntime', 'adapters/onnxruntime/src/index.ts'],
  ['@lmo/onnxruntime/web', 'adapters/onnxruntime/src/web.ts'],
  ['@lmo/onnxruntime/onnx', 'adapters/onnxruntime/src/onnx/index.ts'],
  ['@lmo/gpujs', 'adapters/gpujs/src/index.ts'],
];

/** Vite `resolve.alias` entries: exact specifiers only, so no entry captures another's subpath. */
export function workspaceSources(): Array<{ find: RegExp; replacement: string }> {
  return ENTRIES.map(([specifier, source]) => ({
    find: new RegExp(`^${specifier.replace(/[/.]/g, (c) => `\\${c}`)}$`),
    replacement: root(source),
  }));
}
