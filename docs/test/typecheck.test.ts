import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const require = createRequire(import.meta.url);
const docs = fileURLToPath(new URL('..', import.meta.url));

/** Runs a type-checker's CLI on a project file of docs/; returns what it printed (nothing when clean). */
function typeCheck(bin: string, project: string): string {
  try {
    execFileSync(process.execPath, [require.resolve(bin), '--noEmit', '-p', `${docs}${project}`], { encoding: 'utf8', stdio: 'pipe' });
    return '';
  } catch (error) {
    const e = error as { stdout?: string; stderr?: string };
    return `${e.stdout ?? ''}${e.stderr ?? ''}`.trim() || String(error);
  }
}

// Every code sample on the site lives in docs/examples/ and is included into pages with `<<<`.
// These type-check them, and the playground in the theme, so that none of them can rot.
describe('docs code samples', () => {
  it('type-check (tsc --noEmit -p docs)', () => {
    expect(typeCheck('typescript/bin/tsc', 'tsconfig.json')).toBe('');
  });

  it('type-check the browser side: theme, playground, browser samples (vue-tsc --noEmit -p docs/tsconfig.browser.json)', () => {
    expect(typeCheck('vue-tsc/bin/vue-tsc.js', 'tsconfig.browser.json')).toBe('');
  });
});
