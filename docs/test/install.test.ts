// What a newcomer meets on `pnpm install` in this repository: no "Update available" box, and no
// "Ignored build scripts" box for dependencies whose scripts are skipped on purpose.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));

/** The items of a top-level list `key:` in pnpm-workspace.yaml (`  - name` lines, quotes removed). */
function workspaceList(key: string): string[] {
  const lines = readFileSync(join(root, 'pnpm-workspace.yaml'), 'utf8').split('\n');
  const start = lines.findIndex((l) => l === `${key}:`);
  if (start < 0) return [];
  const items: string[] = [];
  for (const line of lines.slice(start + 1)) {
    const m = /^\s+-\s+(.+?)\s*$/.exec(line);
    if (!m) break;
    items.push(m[1]!.replace(/^['"]|['"]$/g, ''));
  }
  return items;
}

/** Every installed package (node_modules/.pnpm) that pnpm would run a build for: install scripts or a binding.gyp. */
function packagesWithBuilds(): string[] {
  const store = join(root, 'node_modules', '.pnpm');
  const names = new Set<string>();
  for (const entry of readdirSync(store)) {
    const modules = join(store, entry, 'node_modules');
    if (!existsSync(modules)) continue;
    for (const name of readdirSync(modules).flatMap((n) => (n.startsWith('@') ? readdirSync(join(modules, n)).map((m) => `${n}/${m}`) : [n]))) {
      const dir = join(modules, name);
      const manifest = join(dir, 'package.json');
      if (!existsSync(manifest)) continue;
      const pkg = JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string; scripts?: Record<string, string> };
      const scripts = pkg.scripts ?? {};
      if (pkg.name === name && (scripts.preinstall || scripts.install || scripts.postinstall || existsSync(join(dir, 'binding.gyp')))) names.add(name);
    }
  }
  return [...names].sort();
}

describe('pnpm install is quiet', () => {
  it('the workspace turns pnpm\'s update check off, whatever the user\'s own config says', () => {
    const out = execFileSync('pnpm', ['config', 'get', 'update-notifier'], {
      cwd: root,
      encoding: 'utf8',
      env: { ...process.env, npm_config_update_notifier: 'true' },
    });
    expect(out.trim()).toBe('false');
  });

  it('every dependency with a build script is either allowed to build or skipped on purpose', () => {
    const decided = new Set([...workspaceList('onlyBuiltDependencies'), ...workspaceList('ignoredBuiltDependencies')]);
    const builds = packagesWithBuilds();
    expect(builds).toContain('esbuild'); // the scan sees what pnpm sees
    expect(builds.filter((name) => !decided.has(name))).toEqual([]);
  });
});

// The packages are not on npm yet: every install line names the tarballs that `pnpm tarballs` writes.
const INSTALL_DOCS = ['README.md', 'packages/core/README.md', 'adapters/tfjs/README.md', 'adapters/onnxruntime/README.md', 'adapters/gpujs/README.md', 'docs/guide/getting-started.md', 'docs/guide/tfjs.md', 'docs/guide/onnxruntime.md', 'docs/guide/gpujs.md', 'docs/guide/browser.md'];
const PACKAGES = ['packages/core', 'adapters/tfjs', 'adapters/onnxruntime', 'adapters/gpujs'];

describe('install steps that work before the first release', () => {
  const names = PACKAGES.map((dir) => (JSON.parse(readFileSync(join(root, dir, 'package.json'), 'utf8')) as { name: string }).name);

  it('`pnpm tarballs` builds, then packs each published package into tarballs/<name>.tgz', () => {
    const script = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts.tarballs!;
    expect(script).toMatch(/^pnpm build && pnpm -r --filter '\.\/packages\/\*' --filter '\.\/adapters\/\*' pack --out tarballs\/%s\.tgz$/);
    expect(readFileSync(join(root, '.gitignore'), 'utf8').split('\n')).toContain('tarballs/');
    // pnpm writes `%s` as the package name without "@" and with "-" for "/"
    expect(names.map((n) => n.replace('@', '').replace('/', '-'))).toEqual(['lmo-core', 'lmo-tfjs', 'lmo-onnxruntime', 'lmo-gpujs']);
  });

  it.each(INSTALL_DOCS)('%s installs no @lmo package from the registry, and its tarball paths exist once packed', (path) => {
    const text = readFileSync(join(root, path), 'utf8');
    // the command lines of its shell blocks
    const shell = [...text.matchAll(/^```(?:sh|bash|shell)\n([\s\S]*?)^```/gm)].flatMap((m) => m[1]!.split('\n'));
    const installs = shell.filter((l) => /\b(npm (install|i|add)|pnpm add|yarn add)\b/.test(l) && !l.trim().startsWith('#'));
    for (const line of installs) expect(line, `${path}: ${line}`).not.toMatch(/\s@lmo\//);
    for (const m of text.matchAll(/tarballs\/(lmo-[a-z]+)\.tgz/g)) expect(names.map((n) => n.replace('@', '').replace('/', '-'))).toContain(m[1]);
    expect(installs.some((l) => l.includes('tarballs/lmo-')), `${path} has no install line`).toBe(true);
    expect(text, `${path} does not say that the packages are not on npm yet`).toMatch(/not on npm yet/i);
  });
});
