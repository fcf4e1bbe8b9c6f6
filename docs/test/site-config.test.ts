// The docs site builds in a fresh clone (`pnpm install && pnpm docs:build`, no `pnpm build`): its Vite
// config resolves every @lmo/* entry point to the package's TypeScript source, never to a dist/ that
// may be missing or stale. (.ci/run builds the site before the packages, which tries it for real.)
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import config from '../.vitepress/config.mjs';

const root = fileURLToPath(new URL('../..', import.meta.url));
const docs = join(root, 'docs');
const { entries } = JSON.parse(readFileSync(join(root, 'workspace-entries.json'), 'utf8')) as { entries: Array<[string, string]> };

type Alias = { find: string | RegExp; replacement: string };
const aliases = (config.vite?.resolve?.alias ?? []) as Alias[];

/** Where the site's Vite config sends an import specifier (undefined: to node_modules, i.e. the package's dist/). */
function resolved(specifier: string): string | undefined {
  const hit = aliases.find((a) => (typeof a.find === 'string' ? a.find === specifier : a.find.test(specifier)));
  return hit?.replacement;
}

/** Every @lmo/* specifier that the site's own code imports (theme, playground, browser samples). */
function importedByTheSite(): string[] {
  const found = new Set<string>();
  const walk = (dir: string): void => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      if (['node_modules', 'cache', 'dist'].includes(e.name)) continue;
      const path = join(dir, e.name);
      if (e.isDirectory()) walk(path);
      else if (/\.(ts|vue|mts)$/.test(e.name)) for (const m of readFileSync(path, 'utf8').matchAll(/from '(@lmo\/[^']+)'/g)) found.add(m[1]!);
    }
  };
  walk(join(docs, '.vitepress'));
  walk(join(docs, 'examples-browser'));
  return [...found].sort();
}

describe('the docs site resolves the packages from source', () => {
  it.each(entries)('%s → %s', (specifier, source) => {
    expect(resolved(specifier)).toBe(join(root, source));
    expect(existsSync(join(root, source))).toBe(true);
  });

  it('covers every @lmo/* import of the theme and the playground, and no subpath is captured by its parent', () => {
    const imported = importedByTheSite();
    expect(imported).toContain('@lmo/tfjs');
    for (const specifier of imported) expect(resolved(specifier), `${specifier} is not resolved from source`).toMatch(/\/src\//);
    expect(relative(root, resolved('@lmo/core/reference')!)).toBe('packages/core/src/reference/index.ts');
  });
});
