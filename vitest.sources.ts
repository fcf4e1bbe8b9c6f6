/**
 * Every workspace package's entry points mapped to their TypeScript sources (workspace-entries.json),
 * so that tests run against the sources without a build. Each vitest project uses this one list, and
 * so does the docs site's Vite config (docs/.vitepress/config.mts).
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = (path: string): string => fileURLToPath(new URL(path, import.meta.url));
const { entries } = JSON.parse(readFileSync(root('workspace-entries.json'), 'utf8')) as { entries: Array<[string, string]> };

/** Vite `resolve.alias` entries: exact specifiers only, so no entry captures another's subpath. */
export function workspaceSources(): Array<{ find: RegExp; replacement: string }> {
  return entries.map(([specifier, source]) => ({
    find: new RegExp(`^${specifier.replace(/[/.]/g, (c) => `\\${c}`)}$`),
    replacement: root(source),
  }));
}
