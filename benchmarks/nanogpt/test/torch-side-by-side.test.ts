import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseSideRecords, type SideRecord } from '../src/bench/side-records.js';
import { gemmShareLine, gemmTable, memoryLine, partsTable } from '../src/bench/side-tables.js';
import { quantile, summarize } from '../src/bench/timing.js';
import { runTorchScript } from '../src/bench/torch-python.js';

/** The JSON lines of `records`, as the Python script prints them. */
const formatSideRecords = (records: readonly SideRecord[]): string => records.map((r) => `${JSON.stringify(r)}\n`).join('');

const pkg = fileURLToPath(new URL('..', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'nanogpt-torch-'));

const flat = (ms: number) => ({ median: ms, p10: ms, p90: ms, mean: ms });
const part = (side: 'torch' | 'lmo', fields: Record<string, unknown>, ms: number): SideRecord =>
  ({ side, ...(side === 'lmo' ? { backend: 'onnxruntime' } : {}), kind: 'part', n: 3, wall_ms: flat(ms), cpu_ms: flat(ms), ...fields }) as SideRecord;

/** One run's records: torch's times, then lmo's. */
function run(t: { fb: number; adamw: number; bf16: number; fp32: number }, l: { fb: number; adamw: number; scion: number }): SideRecord[] {
  return [
    { side: 'torch', kind: 'env', threads: 2, blas: 'openblas', torch: '1.13.1', omp_wait_policy: 'PASSIVE' },
    part('torch', { part: 'fwd_bwd' }, t.fb),
    part('torch', { part: 'step', optimizer: 'adamw' }, t.adamw),
    part('torch', { part: 'step', optimizer: 'scion', ns_dtype: 'bf16' }, t.bf16),
    part('torch', { part: 'step', optimizer: 'scion', ns_dtype: 'fp32' }, t.fp32),
    { side: 'torch', kind: 'gemm', dtype: 'fp32', shape: 'all', count: 16, gflop: 2.4, n: 3, wall_ms: flat(20), cpu_ms: flat(20), gflops_per_s: 120 },
    { side: 'torch', kind: 'memory', peak_rss_mb: 300 },
    { side: 'lmo', kind: 'env', threads: 2, node: '20' },
    part('lmo', { part: 'fwd_bwd' }, l.fb),
    part('lmo', { part: 'step', optimizer: 'adamw' }, l.adamw),
    part('lmo', { part: 'step', optimizer: 'scion', ns_dtype: 'fp32' }, l.scion),
    { side: 'lmo', backend: 'onnxruntime', kind: 'gemm', dtype: 'fp32', shape: 'all', count: 16, gflop: 2.4, n: 3, wall_ms: flat(30), cpu_ms: flat(30), gflops_per_s: 80 },
    { side: 'lmo', kind: 'memory', peak_rss_mb: 250 },
  ];
}

/** The cells of the table row whose first cell is `label`. */
function row(table: string, label: string): string[] {
  const line = table.split('\n').find((l) => l.startsWith(`| ${label} `));
  if (line === undefined) throw new Error(`no row "${label}" in\n${table}`);
  return line.split('|').slice(1, -1).map((c) => c.trim());
}

describe('statistics', () => {
  it('quantiles interpolate linearly between order statistics at (n − 1)·q', () => {
    const xs = [10, 1, 9, 2, 8, 3, 7, 4, 6, 5];
    expect(quantile(xs, 0.5)).toBeCloseTo(5.5, 12);
    expect(quantile(xs, 0.1)).toBeCloseTo(1.9, 12);
    expect(quantile(xs, 0.9)).toBeCloseTo(9.1, 12);
    expect(quantile([4], 0.9)).toBe(4);
    expect(summarize([1, 2, 6])).toEqual({ median: 2, p10: 1.2, p90: 5.2, mean: 3 });
    expect(() => quantile([], 0.5)).toThrow(/no samples/);
    expect(() => quantile([1], 2)).toThrow(/q must be in \[0, 1\], got 2/);
  });
});

describe('JSON lines of the side-by-side benchmark', () => {
  it('round-trip, blank lines ignored', () => {
    const records = run({ fb: 60, adamw: 2, bf16: 16, fp32: 30 }, { fb: 30, adamw: 7, scion: 20 });
    expect(parseSideRecords(`${formatSideRecords(records)}\n\n`, 'x')).toEqual(records);
  });

  it.each([
    ['not JSON', 'Traceback (most recent call last):', /f\.jsonl, line 2: not JSON: Traceback/],
    ['not an object', '[1, 2]', /line 2: expected a JSON object/],
    ['an unknown side', '{"side":"jax","kind":"env","threads":2}', /line 2: "side" must be "torch" or "lmo", got "jax"/],
    ['an unknown kind', '{"side":"torch","kind":"speed"}', /line 2: unknown kind "speed"/],
    ['a part without times', '{"side":"torch","kind":"part","part":"fwd_bwd","n":3,"cpu_ms":{}}', /line 2: "wall_ms" must be an object/],
    ['a step without optimizer', `{"side":"torch","kind":"part","part":"step","n":1,"wall_ms":${JSON.stringify(flat(1))},"cpu_ms":${JSON.stringify(flat(1))}}`, /part "step" needs an "optimizer"/],
    ['a bad precision', `{"side":"torch","kind":"part","part":"step","optimizer":"scion","ns_dtype":"fp16","n":1,"wall_ms":${JSON.stringify(flat(1))},"cpu_ms":${JSON.stringify(flat(1))}}`, /"ns_dtype" must be "bf16" or "fp32"/],
    ['a gemm without rate', `{"side":"torch","kind":"gemm","dtype":"fp32","shape":"all","count":1,"gflop":1,"n":1,"wall_ms":${JSON.stringify(flat(1))},"cpu_ms":${JSON.stringify(flat(1))}}`, /"gflops_per_s" must be a number/],
  ])('reject %s, naming the line', (_what, line, message) => {
    expect(() => parseSideRecords(`{"side":"torch","kind":"memory","peak_rss_mb":1}\n${line}\n`, 'f.jsonl')).toThrow(message);
  });
});

describe('side-by-side tables', () => {
  const one = run({ fb: 60, adamw: 2, bf16: 16, fp32: 30 }, { fb: 30, adamw: 8, scion: 20 });

  it('one run: medians and torch / lmo', () => {
    const t = partsTable([one]);
    expect(row(t, 'forward+backward')).toEqual(['forward+backward', '60.0', '30.0', '2.00×']);
    expect(row(t, 'AdamW step (with clipping)')).toEqual(['AdamW step (with clipping)', '2.0', '8.0', '0.25×']);
    expect(row(t, 'Scion step (torch NS bf16)').slice(1)).toEqual(['16.0', '20.0', '0.80×']);
    expect(row(t, 'Scion step (torch NS fp32)').slice(1)).toEqual(['30.0', '20.0', '1.50×']);
    expect(t).not.toContain('iteration'); // no iteration records: no rows
  });

  it('p10 instead of medians', () => {
    const r = structuredClone(one) as SideRecord[];
    for (const x of r) if (x.kind === 'part') Object.assign(x, { wall_ms: { ...x.wall_ms, p10: x.wall_ms.median / (x.side === 'torch' ? 2 : 4) } });
    expect(row(partsTable([r], { stat: 'p10' }), 'forward+backward')).toEqual(['forward+backward', '30.0', '7.5', '4.00×']);
  });

  it('process CPU time instead of wall time', () => {
    const r = structuredClone(one) as SideRecord[];
    for (const x of r) if (x.kind === 'part') Object.assign(x, { cpu_ms: { ...x.cpu_ms, median: x.wall_ms.median * (x.side === 'torch' ? 2 : 1) } });
    const t = partsTable([r], { clock: 'cpu' });
    expect(t).toContain('| torch CPU ms |');
    expect(row(t, 'forward+backward')).toEqual(['forward+backward', '120.0', '30.0', '4.00×']);
  });

  it('three runs: times are medians of the runs, ratios the median of per-run ratios', () => {
    const runs = [
      run({ fb: 60, adamw: 2, bf16: 16, fp32: 30 }, { fb: 30, adamw: 8, scion: 20 }), // fwd+bwd ratio 2
      run({ fb: 90, adamw: 2, bf16: 16, fp32: 30 }, { fb: 30, adamw: 8, scion: 20 }), // 3
      run({ fb: 80, adamw: 2, bf16: 16, fp32: 30 }, { fb: 50, adamw: 8, scion: 20 }), // 1.6
    ];
    // times: median(60, 90, 80) = 80 and median(30, 30, 50) = 30, whose quotient 2.67 is not the median ratio 2
    expect(row(partsTable(runs), 'forward+backward')).toEqual(['forward+backward', '80.0', '30.0', '2.00×']);
  });

  it("Newton–Schulz: GFLOP/s from the median time, and the whole Scion step's achieved rate", () => {
    const t = gemmTable([one]);
    expect(row(t, 'GEMMs only, all 16 matrices')).toEqual(['GEMMs only, all 16 matrices', '2.400', '20.0', '120.0', '30.0', '80.0']);
    // 2.4 GFLOP in 30 ms (torch fp32) and 20 ms (lmo); in 16 ms with torch's bf16
    expect(row(t, 'whole Scion step (torch NS fp32)')).toEqual(['whole Scion step (torch NS fp32)', '2.400', '30.0', '80.0', '20.0', '120.0']);
    expect(row(t, 'whole Scion step (torch NS bf16)')).toEqual(['whole Scion step (torch NS bf16)', '2.400', '16.0', '150.0', '–', '–']);
    // GEMMs alone 20 ms of torch's 30 ms fp32 step; 30 ms of lmo's 20 ms step (GEMMs timed apart can be slower)
    expect(gemmShareLine([one])).toBe('Scion step at this share of its GEMM rate (nominal flops, medians): torch fp32 67%, onnxruntime 150% (120.0 of 80.0 GFLOP/s)');
    expect(memoryLine([one])).toBe('peak RSS: torch process 300 MB, lmo (Node) process 250 MB');
    // the p10 view: the GEMMs' 10th percentiles (halved here) give the rates
    const r = structuredClone(one) as SideRecord[];
    for (const x of r) if (x.kind === 'gemm') Object.assign(x, { wall_ms: { ...x.wall_ms, p10: x.wall_ms.median / 2 } });
    expect(row(gemmTable([r], { stat: 'p10' }), 'GEMMs only, all 16 matrices')).toEqual(['GEMMs only, all 16 matrices', '2.400', '10.0', '240.0', '15.0', '160.0']);
    // twice the GEMM rates at p10, the steps unchanged: half the shares
    expect(gemmShareLine([r], { stat: 'p10' })).toBe('Scion step at this share of its GEMM rate (nominal flops, p10s): torch fp32 33%, onnxruntime 75% (120.0 of 160.0 GFLOP/s)');
  });

  it("a fused kernel that executes fewer flops: its own row, and the step's executed rate", () => {
    const k: SideRecord = { side: 'lmo', backend: 'onnxruntime', kind: 'ns_kernel', count: 16, gflop: 1.6, gflop_nominal: 2.4, n: 3, wall_ms: flat(16), cpu_ms: flat(16), gflops_per_s: 100 };
    const withKernel = [...one, k];
    expect(parseSideRecords(formatSideRecords(withKernel), 'x')).toEqual(withKernel);
    expect(() => parseSideRecords(JSON.stringify({ ...k, side: 'torch' }), 'x')).toThrow(/belongs to an lmo "backend"/);
    // 1.6 GFLOP in 16 ms: 100 GFLOP/s; torch has no such row
    expect(row(gemmTable([withKernel]), 'onnxruntime fused kernel alone, all 16 matrices')).toEqual(['onnxruntime fused kernel alone, all 16 matrices', '1.600', '–', '–', '16.0', '100.0']);
    // the 20 ms step executes 1.6 GFLOP: 80 GFLOP/s, 100% of the 80 GFLOP/s GEMM rate
    expect(gemmShareLine([withKernel])).toBe(
      'Scion step at this share of its GEMM rate (nominal flops, medians): torch fp32 67%, onnxruntime 150% (120.0 of 80.0 GFLOP/s); onnxruntime executes 1.600 GFLOP per step (its Gram form): 80.0 GFLOP/s, 100% of the GEMM rate',
    );
  });
});

/** An executable that stands in for python: prints `stdout`, `stderr`, exits with `code`. */
function fakePython(name: string, stdout: string, code = 0, stderr = ''): string {
  const out = join(dir, `${name}.out`);
  const err = join(dir, `${name}.err`);
  writeFileSync(out, stdout);
  writeFileSync(err, stderr);
  const path = join(dir, name);
  writeFileSync(path, `#!/bin/sh\ncat '${out}'\ncat '${err}' >&2\nexit ${code}\n`);
  chmodSync(path, 0o755);
  return path;
}

describe('running the Python side', () => {
  it('no interpreter: not an error, but the reason and what to install', async () => {
    const r = await runTorchScript(join(dir, 'no-such-python'), []);
    expect(r).toEqual({ ok: false, reason: expect.stringMatching(/no Python at .*no-such-python \(ENOENT\): apt-get install python3-torch libopenblas0-pthread/) });
  });

  it("no torch: the script's skip record, and what to install", async () => {
    const py = fakePython('no-torch', '{"side": "torch", "kind": "skip", "reason": "torch is not installed for /usr/bin/python3"}\n');
    expect(await runTorchScript(py, [])).toEqual({ ok: false, reason: 'torch is not installed for /usr/bin/python3: apt-get install python3-torch libopenblas0-pthread' });
  });

  it('records come back parsed', async () => {
    const records = run({ fb: 60, adamw: 2, bf16: 16, fp32: 30 }, { fb: 30, adamw: 8, scion: 20 }).filter((r) => r.side === 'torch');
    const r = await runTorchScript(fakePython('ok', formatSideRecords(records)), []);
    expect(r).toEqual({ ok: true, records });
  });

  it('a failing script is an error with its stderr', async () => {
    const py = fakePython('fails', '', 1, 'Traceback (most recent call last):\nRuntimeError: out of memory\n');
    await expect(runTorchScript(py, [])).rejects.toThrow(/exited with code 1:\n.*RuntimeError: out of memory/s);
  });
});

function bench(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((done) => {
    const p = spawn(process.execPath, ['--conditions=@lmo/source', '--import', 'tsx', 'src/bench/main.ts', ...args], { cwd: pkg });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    p.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    p.on('close', (code) => done({ code, stdout, stderr }));
  });
}

/**
 * A stand-in python for the timing script: prints the env record, those of `records` whose part is in
 * its `--parts` argument (gemm records count as part "gemm"), and a memory record.
 */
function partsPython(name: string, records: readonly SideRecord[]): string {
  const data = join(dir, `${name}.json`);
  writeFileSync(data, JSON.stringify(records));
  const path = join(dir, name);
  const body = [
    `#!${process.execPath}`,
    `const records = JSON.parse(require('node:fs').readFileSync(${JSON.stringify(data)}, 'utf8'));`,
    "const parts = process.argv[process.argv.indexOf('--parts') + 1].split(',');",
    "const keep = (r) => r.kind === 'env' || r.kind === 'memory' || parts.includes(r.kind === 'gemm' ? 'gemm' : r.part);",
    "for (const r of records) if (keep(r)) console.log(JSON.stringify(r));",
  ];
  writeFileSync(path, `${body.join('\n')}\n`);
  chmodSync(path, 0o755);
  return path;
}

describe('pnpm bench torch', () => {
  const corpus = join(dir, 'corpus.txt');
  writeFileSync(corpus, 'to be or not to be, that is the question\n'.repeat(20));
  const tiny = ['--data', corpus, '--n-layer', '1', '--n-head', '2', '--n-embd', '16', '--block-size', '8', '--batch-size', '2', '--iters', '2', '--warmup', '0'];

  it('without Python: one line saying why and what to install, exit code 0, nothing written', async () => {
    const json = join(dir, 'skipped.jsonl');
    const r = await bench(['torch', ...tiny, '--python', join(dir, 'absent-python'), '--json', json]);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    expect(r.stdout.trim().split('\n').at(-1)).toMatch(/^torch bench skipped: no Python at .*: apt-get install python3-torch libopenblas0-pthread$/);
    expect(existsSync(json)).toBe(false);
  });

  it("with a (stand-in) torch side: lmo's backend is timed beside it, the table and the JSON lines written", async () => {
    const torchSide = [
      ...run({ fb: 60, adamw: 2, bf16: 16, fp32: 30 }, { fb: 0, adamw: 0, scion: 0 }).filter((x) => x.side === 'torch'),
      part('torch', { part: 'iteration', optimizer: 'adamw' }, 70),
    ];
    const json = join(dir, 'side-by-side.jsonl');
    const r = await bench(['torch', ...tiny, '--python', partsPython('canned', torchSide), '--backends', 'reference', '--json', json]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/\| part +\| torch ms \| reference ms \| torch \/ reference \|/);
    const records = parseSideRecords(readFileSync(json, 'utf8'), json);
    const lmo = records.filter((x) => x.side === 'lmo' && x.kind === 'part');
    expect(lmo.map((x) => (x.kind === 'part' ? `${x.part}:${x.optimizer ?? ''}:${x.n}` : ''))).toEqual([
      'fwd_bwd::2',
      'step:adamw:2',
      'step:scion:2',
      'iteration:adamw:2',
      'iteration:scion:2',
    ]);
    // the sides alternate part by part, each torch record once
    const order = records.filter((x) => x.kind === 'part' || x.kind === 'gemm').map((x) => `${x.side}:${x.kind === 'part' ? x.part : 'gemm'}`);
    expect(order.filter((o, i) => i === 0 || order[i - 1] !== o)).toEqual([
      'torch:fwd_bwd',
      'lmo:fwd_bwd',
      'torch:step',
      'lmo:step',
      'torch:iteration',
      'lmo:iteration',
      'torch:gemm',
    ]);
    expect(records.filter((x) => x.side === 'torch' && x.kind === 'part')).toHaveLength(5);
    expect(records.filter((x) => x.kind === 'env').map((x) => x.side)).toEqual(['torch', 'lmo']);
    expect(records.find((x) => x.side === 'lmo' && x.kind === 'env')).toMatchObject({ threads: 2, scion_step_gflop: expect.any(Number) });
    expect(records.filter((x) => x.kind === 'memory')).toEqual([
      { side: 'torch', kind: 'memory', peak_rss_mb: 300 },
      { side: 'lmo', kind: 'memory', peak_rss_mb: expect.any(Number) },
    ]);

    const table = await bench(['torch-table', json, json]);
    expect(table.code).toBe(0);
    expect(table.stdout).toContain('; 2 runs');
    expect(table.stdout).toMatch(/\| forward\+backward +\| 60\.0 +\| /);
  });

  it('torch-table: a file that is not the benchmark\'s JSON lines is a usage error naming the line', async () => {
    const bad = join(dir, 'bad.jsonl');
    writeFileSync(bad, '{"side":"torch","kind":"memory","peak_rss_mb":1}\nhello\n');
    const r = await bench(['torch-table', bad]);
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toMatch(/^bench: .*bad\.jsonl, line 2: not JSON: hello$/);
  });
});
