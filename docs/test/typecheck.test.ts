import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

// Every code sample on the site lives in docs/examples/ and is included into pages with `<<<`.
// This runs `vue-tsc --noEmit -p docs` (tsc plus .vue files) so that none of them, nor the
// playground in the theme, can rot.
describe('docs code samples', () => {
  it('type-check (vue-tsc --noEmit -p docs)', () => {
    const tsc = createRequire(import.meta.url).resolve('vue-tsc/bin/vue-tsc.js');
    const docs = fileURLToPath(new URL('..', import.meta.url));
    let output = '';
    try {
      execFileSync(process.execPath, [tsc, '--noEmit', '-p', docs], { encoding: 'utf8', stdio: 'pipe' });
    } catch (error) {
      const e = error as { stdout?: string; stderr?: string };
      output = `${e.stdout ?? ''}${e.stderr ?? ''}`.trim() || String(error);
    }
    expect(output).toBe('');
  });
});
