// The entry points of the published packages, read from each package.json: every subpath of
// `exports` that carries the `@lmo/source` condition (its TypeScript source in this repository).
// package.json is the one place that lists them; the build (tsup.package.ts), the type checker
// (tsconfig.base.json's `customConditions`), the tests (vitest's `resolve.conditions`) and the API
// reference (docs/scripts/typedoc.mjs) all follow it.
import { readFileSync, readdirSync, existsSync } from 'node:fs';
import { join, relative, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The export condition that points at an entry point's TypeScript source. */
export const SOURCE_CONDITION = '@lmo/source';

/** The repository root. */
export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** Folders (relative to the root) holding the published packages. */
const PUBLISHED = ['packages', 'adapters'];

/**
 * The entry points of the package in `dir`: its specifier (`@lmo/core/backend`), its source (relative
 * to `dir`) and the name of its built file (`backend`, from `./dist/backend.js`).
 */
export function packageEntries(dir) {
  const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
  return Object.entries(manifest.exports ?? {}).flatMap(([subpath, target]) => {
    const source = typeof target === 'object' && target !== null ? target[SOURCE_CONDITION] : undefined;
    if (source === undefined) return [];
    const built = target.import?.default ?? target.default;
    if (typeof built !== 'string' || !/^\.\/dist\/.+\.js$/.test(built)) {
      throw new Error(`${manifest.name}: exports["${subpath}"] has a source but no ./dist/<name>.js to build it into`);
    }
    return [{
      specifier: subpath === '.' ? manifest.name : `${manifest.name}/${subpath.slice(2)}`,
      source: source.replace(/^\.\//, ''),
      name: built.slice('./dist/'.length, -'.js'.length),
    }];
  });
}

/** Every published package's entry points, with sources relative to the repository root. */
export function workspaceEntries() {
  return PUBLISHED.flatMap((folder) =>
    readdirSync(join(ROOT, folder), { withFileTypes: true })
      .filter((d) => d.isDirectory() && existsSync(join(ROOT, folder, d.name, 'package.json')))
      .flatMap((d) => packageEntries(join(ROOT, folder, d.name)).map((e) => ({ ...e, source: relative(ROOT, join(ROOT, folder, d.name, e.source)) }))),
  );
}
