// The docs site builds in a fresh clone (`pnpm install && pnpm docs:build`, no `pnpm build`): its Vite
// config resolves every @lmo/* entry point through the `@lmo/source` export condition to the package's
// TypeScript source, never to a dist/ that may be missing or stale. (.ci/run builds the site before the
// packages, which tries it for real.)
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { SOURCE_CONDITION, workspaceEntries } from '../../scripts/package-entries.mjs';
import config from '../.vitepress/config.mjs';

const root = fileURLToPath(new URL('../..', import.meta.url));
const docs = join(root, 'docs');
const entries = workspaceEntries() as Array<{ specifier: string; source: string }>;

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

/**
 * The entry points of the workspace's private packages (the shared GPT, the benchmark), whose
 * exports point straight at TypeScript source, as patterns (`./report/*` matches one module).
 */
function privateSources(): RegExp[] {
  return ['models', 'benchmarks'].flatMap((folder) =>
    readdirSync(join(root, folder), { withFileTypes: true })
      .filter((d) => d.isDirectory() && existsSync(join(root, folder, d.name, 'package.json')))
      .flatMap((d) => {
        const manifest = JSON.parse(readFileSync(join(root, folder, d.name, 'package.json'), 'utf8')) as { name: string; private?: boolean; exports?: Record<string, unknown> };
        if (manifest.private !== true) return [];
        return Object.entries(manifest.exports ?? {})
          .filter(([, target]) => typeof target === 'string' && target.endsWith('.ts'))
          .map(([subpath]) => {
            const specifier = subpath === '.' ? manifest.name : `${manifest.name}/${subpath.slice(2)}`;
            return new RegExp(`^${specifier.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace('*', '[\\w-]+')}$`);
          });
      }),
  );
}

describe('the docs site resolves the packages from source', () => {
  it('puts the source condition first, for the browser bundle and for server-side rendering', () => {
    const vite = config.vite as { resolve?: { conditions?: string[] }; ssr?: { resolve?: { conditions?: string[] } } };
    expect(vite.resolve?.conditions?.[0]).toBe(SOURCE_CONDITION);
    expect(vite.ssr?.resolve?.conditions?.[0]).toBe(SOURCE_CONDITION);
  });

  it.each(entries.map((e) => [e.specifier, e.source]))('%s has its source at %s', (_specifier, source) => {
    expect(existsSync(join(root, source))).toBe(true);
  });

  it('covers every @lmo/* import of the theme and the playground', () => {
    const imported = importedByTheSite();
    expect(imported).toContain('@lmo/tfjs');
    const known = new Set(entries.map((e) => e.specifier));
    const fromSource = (specifier: string): boolean => known.has(specifier) || privateSources().some((p) => p.test(specifier));
    for (const specifier of imported) expect(fromSource(specifier), `${specifier} is not an entry point with a source`).toBe(true);
  });
});
