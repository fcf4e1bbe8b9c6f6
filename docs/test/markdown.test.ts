import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));
const docs = join(root, 'docs');
const READMES = ['README.md', 'packages/core/README.md', 'adapters/tfjs/README.md', 'adapters/onnxruntime/README.md', 'adapters/gpujs/README.md'];
const CODE = /^```(ts|typescript|js|javascript|mjs|cjs)\s*$/;
/** Any control character but the newline (tabs included), or DEL. */
const isControl = (ch: string): boolean => {
  const c = ch.codePointAt(0)!;
  return (c < 0x20 && c !== 0x0a) || c === 0x7f;
};
const EXAMPLE = /^<!-- example: (docs\/examples\/[\w.-]+\.ts) -->$/;

function pages(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    if (['node_modules', 'api', '.vitepress', 'examples', 'test', 'test-browser', 'scripts', 'public'].includes(e.name)) return [];
    const path = join(dir, e.name);
    return e.isDirectory() ? pages(path) : e.name.endsWith('.md') ? [path] : [];
  });
}

/** Fenced code blocks of a markdown file: language, first line number, body, and the nearest non-blank line above. */
function codeBlocks(text: string): Array<{ lang: string; line: number; body: string; above: string }> {
  const lines = text.split('\n');
  const blocks: Array<{ lang: string; line: number; body: string; above: string }> = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^```(\w*)/.exec(lines[i]!);
    if (!open) continue;
    let end = i + 1;
    while (end < lines.length && !lines[end]!.startsWith('```')) end++;
    let k = i - 1;
    while (k >= 0 && lines[k]!.trim() === '') k--;
    blocks.push({ lang: lines[i]!.slice(3).trim(), line: i + 1, body: lines.slice(i + 1, end).join('\n'), above: k >= 0 ? lines[k]! : '' });
    i = end;
  }
  return blocks;
}

describe('code samples are files that the tests run', () => {
  it.each(READMES)('every TypeScript block of %s is an example file, verbatim', (readme) => {
    const text = readFileSync(join(root, readme), 'utf8');
    const blocks = codeBlocks(text).filter((b) => CODE.test(`\`\`\`${b.lang}`));
    for (const b of blocks) {
      const marker = EXAMPLE.exec(b.above);
      expect(marker, `${readme}:${b.line}: a code block without "<!-- example: docs/examples/NAME.ts -->" above it`).not.toBeNull();
      const file = join(root, marker![1]!);
      expect(existsSync(file), `${readme}:${b.line}: ${marker![1]} does not exist`).toBe(true);
      expect(b.body, `${readme}:${b.line} differs from ${marker![1]}`).toBe(readFileSync(file, 'utf8').replace(/\n$/, ''));
    }
  });

  it('no docs page pastes code: samples are included from examples/ with <<<', () => {
    for (const page of pages(docs)) {
      for (const b of codeBlocks(readFileSync(page, 'utf8'))) {
        expect(CODE.test(`\`\`\`${b.lang}`), `${relative(root, page)}:${b.line}: a pasted \`\`\`${b.lang} block`).toBe(false);
      }
      for (const m of readFileSync(page, 'utf8').matchAll(/^<<< @\/(\S+)/gm)) {
        expect(existsSync(join(docs, m[1]!)), `${relative(root, page)}: includes ${m[1]}, which does not exist`).toBe(true);
      }
    }
  });
});

describe('package READMEs work on the npm page', () => {
  it.each(READMES.filter((r) => r !== 'README.md'))('%s links only to absolute URLs and its own headings', (readme) => {
    const text = readFileSync(join(root, readme), 'utf8');
    const relative = [...text.matchAll(/\]\(([^)\s]+)\)/g)].map((m) => m[1]!).filter((href) => !/^(https?:|mailto:|#)/.test(href));
    expect(relative).toEqual([]);
  });
});

describe('markdown is clean', () => {
  it('no control characters (a lost backslash turns \\text into a tab and \\rvert into a carriage return)', () => {
    for (const file of [...READMES.map((r) => join(root, r)), join(root, 'benchmarks/nanogpt/README.md'), ...pages(docs)]) {
      const bad = readFileSync(file, 'utf8')
        .split('\n')
        .flatMap((line, i) => ([...line].some(isControl) ? [`${relative(root, file)}:${i + 1}`] : []));
      expect(bad).toEqual([]);
    }
  });

  it('the repository describes the project, and cites only files it contains', () => {
    const files = execFileSync('git', ['ls-files'], { cwd: root, encoding: 'utf8' })
      .split('\n')
      .filter((f) => /\.(md|ts|mts|mjs|cjs|js|json|sh|yaml|yml)$/.test(f) || f === '.ci/run')
      .filter((f) => f !== 'pnpm-lock.yaml' && f !== 'docs/test/markdown.test.ts');
    // Words about how the repository was made, and section references into an all-caps document.
    const forbidden = [/\bthis\s+session\b/i, /\bthis\s+work\s?place\b/i, /\bthe\s+agent\b/i, /\b[A-Z][A-Z0-9_-]+(?:\.md)?\s+§/];
    // Every all-caps document a line names (README.md, CHANGELOG.md, …) must be one the repository holds.
    const held = new Set(files.map((f) => f.split('/').pop()!));
    const hits: string[] = [];
    for (const f of files) {
      const path = join(root, f);
      if (!existsSync(path)) continue;
      readFileSync(path, 'utf8')
        .split('\n')
        .forEach((line, i) => {
          const at = `${f}:${i + 1}: ${line.trim().slice(0, 120)}`;
          for (const re of forbidden) if (re.test(line)) hits.push(at);
          for (const [doc] of line.matchAll(/\b[A-Z][A-Z0-9_-]*\.md\b/g)) if (!held.has(doc)) hits.push(`${at} (cites ${doc})`);
        });
    }
    expect(hits).toEqual([]);
  });
});
