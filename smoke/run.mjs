#!/usr/bin/env node
// The consumer smoke test: what a user gets from npm, tried the way a user tries it.
//
// Packs the four published packages (run `pnpm build` first), installs the tarballs with npm into a
// new project outside the repository together with the engines (smoke/consumer.package.json), and
// there compiles and runs every code sample of docs/examples/ — the files that the READMEs and the
// docs site show — as ES modules and CommonJS (tsc, moduleResolution nodenext, then plain node),
// through a bundler (tsc moduleResolution bundler, then an esbuild bundle run by node), type-checks
// them under moduleResolution node10, runs the custom-backend conformance example with vitest, and
// requires/imports every entry point. smoke/examples.json says which sample runs where.
//
//   node smoke/run.mjs            (from the repository root; `pnpm smoke` does the same)
//   LMO_SMOKE_KEEP=1 node smoke/run.mjs    keeps the project and prints where it is
//
// It prints one line per check and ends with "N passed, N failed"; the exit code is 1 if any failed.
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const PACKAGES = ['packages/core', 'adapters/tfjs', 'adapters/onnxruntime', 'adapters/gpujs'];
/** Every entry point a user can import, with one export each must have (`'esm'`: import only, like vitest). */
const ENTRIES = [
  ['@lmo/core', 'scion'],
  ['@lmo/core/backend', 'DeferredExecution'],
  ['@lmo/core/reference', 'createReferenceBackend'],
  ['@lmo/core/node', 'writeCheckpointFile'],
  ['@lmo/core/testing', 'runConformance'],
  ['@lmo/core/testing/vitest', 'describeBackendConformance', 'esm'],
  ['@lmo/tfjs', 'ScionOptimizer'],
  ['@lmo/onnxruntime', 'onnxBackend'],
  ['@lmo/onnxruntime/web', 'onnxBackend'],
  ['@lmo/onnxruntime/onnx', 'encodeModel'],
  ['@lmo/gpujs', 'createGpujsBackend'],
];
const MODES = ['esm', 'cjs', 'bundler'];
const examplesDir = join(root, 'docs', 'examples');
const manifest = JSON.parse(readFileSync(join(root, 'smoke', 'examples.json'), 'utf8')).examples;

const results = { passed: 0, failed: 0 };
const failures = [];

/** Runs a command; returns its status and output (stdout + stderr). */
function sh(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 64 << 20, timeout: opts.timeout ?? 300_000, ...opts });
  const output = `${r.stdout ?? ''}${r.stderr ?? ''}${r.error ? `\n${r.error.message}` : ''}`;
  return { status: r.status ?? (r.signal ? 128 : 1), output };
}

/** Records one check: `fn` returns null on success or a failure text. */
function check(name, fn) {
  const t0 = performance.now();
  let problem;
  try {
    problem = fn();
  } catch (e) {
    problem = e instanceof Error ? e.stack ?? e.message : String(e);
  }
  const s = ((performance.now() - t0) / 1000).toFixed(1);
  if (problem) {
    results.failed++;
    failures.push(`${name}\n${indent(problem)}`);
    console.log(`FAIL ${name} (${s} s)`);
  } else {
    results.passed++;
    console.log(`ok   ${name} (${s} s)`);
  }
}
const indent = (text) => text.trim().split('\n').slice(-40).map((l) => `    ${l}`).join('\n');
const expectOk = (r) => (r.status === 0 ? null : `exit code ${r.status}\n${r.output}`);

function die(message) {
  console.error(`smoke: ${message}`);
  process.exit(1);
}

// ---- the examples and their manifest must agree ---------------------------------------------------
const files = readdirSync(examplesDir).filter((f) => f.endsWith('.ts')).sort();
const unlisted = files.filter((f) => !(f in manifest));
const missing = Object.keys(manifest).filter((f) => !files.includes(f));
if (unlisted.length > 0 || missing.length > 0) {
  die(`smoke/examples.json and docs/examples/ disagree: not listed ${JSON.stringify(unlisted)}, no such file ${JSON.stringify(missing)}`);
}
for (const dir of PACKAGES) if (!existsSync(join(root, dir, 'dist'))) die(`${dir}/dist is missing: run \`pnpm build\` first`);

// ---- pack, and install like a user ----------------------------------------------------------------
const work = mkdtempSync(join(tmpdir(), 'lmo-smoke-'));
const tarballs = join(work, 'tarballs');
const app = join(work, 'app');
mkdirSync(tarballs);
mkdirSync(app);
console.log(`smoke: packing ${PACKAGES.length} packages and installing them in ${work}`);

const deps = {};
check('pnpm pack the four packages', () => {
  for (const dir of PACKAGES) {
    const r = sh('pnpm', ['pack', '--pack-destination', tarballs], { cwd: join(root, dir) });
    if (r.status !== 0) return `${dir}: ${r.output}`;
    const pkg = JSON.parse(readFileSync(join(root, dir, 'package.json'), 'utf8'));
    const file = readdirSync(tarballs).find((f) => f.startsWith(pkg.name.replace('@', '').replace('/', '-') + '-'));
    if (!file) return `${dir}: no tarball in ${tarballs}`;
    deps[pkg.name] = `file:${join(tarballs, file)}`;
  }
  return null;
});
check('the tarballs: dist, README, CHANGELOG and LICENSE only; the metadata npm shows', () => {
  const rootEngines = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).engines.node;
  const problems = [];
  for (const [name, spec] of Object.entries(deps)) {
    const tgz = spec.slice('file:'.length);
    const list = sh('tar', ['tzf', tgz]).output.split('\n').filter(Boolean);
    const stray = list.filter((f) => !/^package\/(dist\/[^/]+\.(c?js|d\.c?ts)|README\.md|CHANGELOG\.md|LICENSE|package\.json)$/.test(f));
    if (stray.length > 0) problems.push(`${name}: unexpected files ${stray.join(', ')}`);
    for (const f of ['README.md', 'CHANGELOG.md', 'LICENSE']) if (!list.includes(`package/${f}`)) problems.push(`${name}: no ${f}`);
    const pkg = JSON.parse(sh('tar', ['xzOf', tgz, 'package/package.json']).output);
    for (const key of ['description', 'keywords', 'homepage', 'bugs', 'repository', 'license']) if (!pkg[key]) problems.push(`${name}: no "${key}"`);
    if (pkg.engines?.node !== rootEngines) problems.push(`${name}: engines.node ${pkg.engines?.node}, the repository says ${rootEngines}`);
    if (JSON.stringify(pkg).includes('workspace:')) problems.push(`${name}: a workspace: range was not rewritten`);
  }
  return problems.length > 0 ? problems.join('\n') : null;
});
if (results.failed > 0) finish();

const template = JSON.parse(readFileSync(join(root, 'smoke', 'consumer.package.json'), 'utf8'));
delete template['//'];
writeFileSync(
  join(app, 'package.json'),
  `${JSON.stringify({ ...template, dependencies: { ...template.dependencies, ...deps }, overrides: { '@lmo/core': '$@lmo/core' } }, null, 2)}\n`,
);
check('npm install the tarballs and the engines', () =>
  expectOk(sh('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error'], { cwd: app, timeout: 900_000, env: { ...process.env, ONNXRUNTIME_NODE_INSTALL: 'skip' } })),
);
if (results.failed > 0) finish();

// ---- the examples, copied as a user would write them ------------------------------------------------
const runs = (file, mode) => (manifest[file].run ?? []).includes(mode);
const cjsSafe = (file) => manifest[file].module || runs(file, 'cjs');
cpSync(examplesDir, join(app, 'examples'), { recursive: true });
mkdirSync(join(app, 'cjs', 'examples'), { recursive: true });
writeFileSync(join(app, 'cjs', 'package.json'), '{ "type": "commonjs" }\n');
for (const f of files) if (cjsSafe(f)) cpSync(join(examplesDir, f), join(app, 'cjs', 'examples', f));

const compilerOptions = { target: 'ES2022', lib: ['ES2022'], types: ['node'], strict: true, skipLibCheck: true, esModuleInterop: true };
const tsconfig = (path, options, include, exclude = []) =>
  writeFileSync(join(app, path), `${JSON.stringify({ compilerOptions: { ...compilerOptions, ...options }, include, exclude }, null, 2)}\n`);
const vitestOnly = files.filter((f) => manifest[f].vitest).map((f) => `examples/${f}`);
tsconfig('tsconfig.esm.json', { module: 'NodeNext', moduleResolution: 'NodeNext', outDir: 'out/esm', rootDir: 'examples' }, ['examples'], vitestOnly);
tsconfig('cjs/tsconfig.json', { module: 'NodeNext', moduleResolution: 'NodeNext', outDir: 'out', rootDir: 'examples' }, ['examples']);
tsconfig('tsconfig.bundler.json', { module: 'Preserve', moduleResolution: 'Bundler', noEmit: true }, ['examples'], vitestOnly);
tsconfig('tsconfig.node10.json', { module: 'CommonJS', moduleResolution: 'Node10', noEmit: true }, ['cjs/examples']);
writeFileSync(join(app, 'vitest.config.mjs'), `export default { test: { include: ${JSON.stringify(vitestOnly)} } };\n`);

// Files the examples read beside them (docs/examples/models/*.onnx), next to every compiled copy too.
const models = join(examplesDir, 'models');
if (existsSync(models)) for (const out of ['out/esm', 'out/bundle', 'cjs/out']) cpSync(models, join(app, out, 'models'), { recursive: true });

const tsc = join(app, 'node_modules', 'typescript', 'bin', 'tsc');
check('tsc, moduleResolution nodenext, ES modules', () => expectOk(sh(process.execPath, [tsc, '-p', 'tsconfig.esm.json'], { cwd: app })));
check('tsc, moduleResolution nodenext, CommonJS', () => expectOk(sh(process.execPath, [tsc, '-p', 'cjs/tsconfig.json'], { cwd: app })));
check('tsc, moduleResolution bundler', () => expectOk(sh(process.execPath, [tsc, '-p', 'tsconfig.bundler.json'], { cwd: app })));
check('tsc, moduleResolution node10 (CommonJS)', () => expectOk(sh(process.execPath, [tsc, '-p', 'tsconfig.node10.json'], { cwd: app })));

// ---- every entry point, required and imported --------------------------------------------------------
const entryScript = (how, cjs) =>
  ENTRIES.filter(([, , only]) => !(cjs && only === 'esm')).map(([spec, name]) => `{ const m = ${how(spec)}; if (typeof m[${JSON.stringify(name)}] !== 'function') throw new Error(${JSON.stringify(`${spec} has no ${name}`)}); }`).join('\n');
writeFileSync(join(app, 'entries.cjs'), `${entryScript((s) => `require(${JSON.stringify(s)})`, true)}\nconsole.log('ok');\n`);
writeFileSync(join(app, 'entries.mjs'), `${entryScript((s) => `await import(${JSON.stringify(s)})`)}\nconsole.log('ok');\n`);
check('require() every entry point', () => expectOk(sh(process.execPath, ['entries.cjs'], { cwd: app })));
check('import every entry point', () => expectOk(sh(process.execPath, ['entries.mjs'], { cwd: app })));

// ---- @lmo/core alone: the testing entry point needs no test runner -----------------------------------
const bare = join(work, 'core-only');
mkdirSync(bare);
writeFileSync(join(bare, 'package.json'), `${JSON.stringify({ name: 'lmo-core-only', private: true, type: 'module', dependencies: { '@lmo/core': deps['@lmo/core'] } }, null, 2)}\n`);
writeFileSync(
  join(bare, 'conformance.mjs'),
  [
    "import { runConformance } from '@lmo/core/testing';",
    "import { referenceBackend } from '@lmo/core/reference';",
    'const report = await runConformance(referenceBackend);',
    "if (report.failed.length > 0) throw new Error(report.failed.map((f) => f.id).join(', '));",
    'console.log(`${report.passed.length} checks passed`);',
    '',
  ].join('\n'),
);
check('@lmo/core alone (no vitest installed): runConformance from @lmo/core/testing', () => {
  const installed = sh('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error'], { cwd: bare });
  if (installed.status !== 0) return installed.output;
  if (existsSync(join(bare, 'node_modules', 'vitest'))) return 'vitest was installed with @lmo/core alone';
  return expectOk(sh(process.execPath, ['conformance.mjs'], { cwd: bare }));
});

// ---- run the examples --------------------------------------------------------------------------------
const esbuild = join(app, 'node_modules', 'esbuild', 'bin', 'esbuild');
const EXTERNAL = ['onnxruntime-node', 'gpu.js', 'webgpu', 'gl', '@tensorflow/tfjs-node'];
function program(file, mode) {
  const base = file.replace(/\.ts$/, '.js');
  if (mode === 'esm') return join(app, 'out', 'esm', base);
  if (mode === 'cjs') return join(app, 'cjs', 'out', base);
  const bundle = join(app, 'out', 'bundle', base.replace(/\.js$/, '.mjs'));
  // ES module builds first (`module` before `main`), as bundlers for the web resolve packages.
  const args = [join('examples', file), '--bundle', '--platform=node', '--main-fields=module,main', '--format=esm', '--target=node20', `--outfile=${bundle}`, '--log-level=error'];
  // Bundled CommonJS dependencies call require(): give the ES module bundle one.
  args.push("--banner:js=import { createRequire as __lmoRequire } from 'node:module'; const require = __lmoRequire(import.meta.url);");
  for (const e of EXTERNAL) args.push(`--external:${e}`);
  const r = sh(esbuild, args, { cwd: app }); // a native binary once installed
  if (r.status !== 0) throw new Error(`esbuild: ${r.output}`);
  return bundle;
}
for (const file of files) {
  const spec = manifest[file];
  for (const mode of MODES) {
    const expectedFailure = spec.fails?.[mode];
    if (!runs(file, mode) && !expectedFailure) continue;
    const label = `${mode.padEnd(7)} ${file}${expectedFailure ? ` fails with ${expectedFailure}, as the docs say` : ''}`;
    check(label, () => {
      const r = sh(process.execPath, [program(file, mode)], { cwd: app, timeout: 300_000, env: { ...process.env, ...spec.env } });
      if (expectedFailure) return r.status !== 0 && r.output.includes(expectedFailure) ? null : `expected it to fail with ${expectedFailure}; exit code ${r.status}\n${r.output}`;
      return expectOk(r);
    });
  }
}
check('vitest: the custom backend passes the conformance suite', () =>
  expectOk(sh(process.execPath, [join(app, 'node_modules', 'vitest', 'vitest.mjs'), 'run', '--reporter=dot'], { cwd: app, timeout: 600_000 })),
);

finish();

function finish() {
  if (failures.length > 0) console.log(`\nsmoke: failures\n\n${failures.join('\n\n')}`);
  if (process.env.LMO_SMOKE_KEEP === '1') console.log(`\nsmoke: the project is kept in ${relative(process.cwd(), work) || work}`);
  else rmSync(work, { recursive: true, force: true });
  console.log(`\n${results.passed} passed, ${results.failed} failed`);
  process.exit(results.failed > 0 ? 1 : 0);
}
