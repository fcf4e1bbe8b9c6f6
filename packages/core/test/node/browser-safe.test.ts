// `@lmo/core/node` is the only entry point that touches Node's modules: the others, which browser bundles
// import, reach no `node:` module and nothing under src/node/.
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const src = resolve(dirname(fileURLToPath(import.meta.url)), '../../src');
const manifest = JSON.parse(readFileSync(join(src, '../package.json'), 'utf8')) as { exports: Record<string, { '@lmo/source'?: string }> };

/** A module's import and export-from statements (not the examples in its comments), and what they name. */
const IMPORT = /^(?:import|export)\b[^;]*?from\s+'([^']+)'/gm;

/** The modules `entry` imports, transitively (relative imports only: the package's own files). */
function reachable(entry: string, seen = new Set<string>()): Set<string> {
  if (seen.has(entry)) return seen;
  seen.add(entry);
  for (const m of readFileSync(entry, 'utf8').matchAll(IMPORT)) if (m[1]!.startsWith('.')) reachable(resolve(dirname(entry), m[1]!.replace(/\.js$/, '.ts')), seen);
  return seen;
}

describe('the entry points other than @lmo/core/node', () => {
  const entries = Object.entries(manifest.exports).flatMap(([subpath, t]) => (t['@lmo/source'] && subpath !== './node' ? [[subpath, join(src, '..', t['@lmo/source'])] as const] : []));

  it.each(entries)('%s reaches no node: module and nothing of src/node/', (_subpath, entry) => {
    const files = [...reachable(entry)];
    expect(files.length).toBeGreaterThan(1);
    expect(files.filter((f) => relative(src, f).startsWith('node/'))).toEqual([]);
    expect(files.filter((f) => [...readFileSync(f, 'utf8').matchAll(IMPORT)].some((m) => m[1]!.startsWith('node:'))).map((f) => relative(src, f))).toEqual([]);
  });

  it('src/node/ is where the node: imports are', () => {
    const node = readdirSync(join(src, 'node')).flatMap((f) => [...readFileSync(join(src, 'node', f), 'utf8').matchAll(IMPORT)].map((m) => m[1]!));
    expect(node).toContain('node:fs');
  });
});
