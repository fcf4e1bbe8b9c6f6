/**
 * The READMEs say which entry point exports what: every function a README's "Entry points" list
 * attributes to an entry point (`name` or `name(…)` in backticks) is exported there, at runtime.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

const ENTRIES: Record<string, () => Promise<Record<string, unknown>>> = {
  '@lmo/core': () => import('@lmo/core'),
  '@lmo/core/backend': () => import('@lmo/core/backend'),
  '@lmo/core/reference': () => import('@lmo/core/reference'),
  '@lmo/core/node': () => import('@lmo/core/node'),
  '@lmo/core/testing': () => import('@lmo/core/testing'),
  '@lmo/core/testing/vitest': () => import('@lmo/core/testing/vitest'),
};

/** `- \`@lmo/core/x\` — … \`name(…)\` …` bullets: the entry point and the (runtime) names it is said to export. */
function claims(markdown: string): Array<[string, string[]]> {
  const section = markdown.slice(markdown.indexOf('## Entry points'));
  const list = section.slice(0, section.indexOf('\n\n', section.indexOf('\n- ')));
  const bullets = list.split(/\n(?=- `)/).filter((b) => b.startsWith('- `@lmo/'));
  return bullets.map((b) => {
    const entry = /^- `([^`]+)`/.exec(b)![1]!;
    return [entry, [...b.matchAll(/`([A-Za-z][A-Za-z0-9]*)(?:\([^`]*\))?`/g)].map((m) => m[1]!)];
  });
}

describe('packages/core/README.md: entry points', () => {
  const readme = readFileSync(new URL('../../packages/core/README.md', import.meta.url), 'utf8');
  const listed = claims(readme);

  it('lists every entry point of the package', () => {
    expect(listed.map(([e]) => e).sort()).toEqual(Object.keys(ENTRIES).sort());
  });

  for (const [entry, names] of listed) {
    it(`${entry} exports what the README says it does (${names.join(', ')})`, async () => {
      const mod = await ENTRIES[entry]!();
      for (const name of names) expect(Object.keys(mod), `${entry} should export ${name}`).toContain(name);
    });
  }
});
