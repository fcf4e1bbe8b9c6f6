/**
 * Quality of 16-bit training against float32, through the packages: nanoGPT's GPT (exported at run
 * time by bench/export-gpt.py; by default nanoGPT's CPU config: vocab 65, block 64, 4 layers, 4
 * heads, width 128) trained by `createOnnxTrainer` on tiny shakespeare's characters with ScionLight
 * (transformerGroups(), unconstrained, lr `--lr` decayed linearly to 0), four ways on the same
 * batches: weights and G in float32; in bfloat16 rounded to nearest even (plain); in bfloat16 with
 * the Kahan compensation buffer; in bfloat16 with stochastic rounding. Reports the validation loss
 * (mean over `--eval-batches` fixed held-out batches) every `--every` steps, and writes the curves.
 *
 *   LMO_DATA=path/to/tinyshakespeare.txt pnpm --filter @lmo/onnxruntime bench:quality [-- --steps 600 --batch 8 --lr 0.0039 --every 50 --eval-batches 8 --threads 2 --json bench/results/quality.json]
 *
 * The corpus: `--data`, else `$LMO_DATA`, else ../shared/data/tinyshakespeare.txt beside the checkout.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { linearDecay, Random, scionLight, transformerGroups, type StorageDtype } from '@lmo/core';
import { createOnnxTrainer, loadOnnxModel, onnxBackend, type OnnxBackend, type OnnxTensor } from '../src/index.js';

const { values } = parseArgs({
  args: process.argv.slice(2).filter((a) => a !== '--'),
  options: {
    steps: { type: 'string', default: '600' },
    batch: { type: 'string', default: '8' },
    lr: { type: 'string', default: String(2 ** -8) },
    every: { type: 'string', default: '50' },
    'eval-batches': { type: 'string', default: '8' },
    threads: { type: 'string', default: '2' },
    layers: { type: 'string', default: '4' },
    width: { type: 'string', default: '128' },
    heads: { type: 'string', default: '4' },
    data: { type: 'string' },
    json: { type: 'string' },
  },
});
const steps = Number(values.steps);
const B = Number(values.batch);
const T = 64;
const lr = Number(values.lr);
const every = Number(values.every);

const repo = fileURLToPath(new URL('../../../', import.meta.url));
const corpus = [values.data, process.env['LMO_DATA'], join(repo, '..', 'shared', 'data', 'tinyshakespeare.txt')].find((f) => f !== undefined && f !== '' && existsSync(f));
if (corpus === undefined) throw new Error('tiny shakespeare not found: pass --data FILE or set LMO_DATA');
const text = readFileSync(corpus, 'utf8');
const chars = [...new Set(text)].sort();
if (chars.length !== 65) throw new Error(`expected tiny shakespeare's 65 characters, got ${chars.length}`);
const codes = new Map(chars.map((c, i) => [c, i]));
const tokens = Uint8Array.from(text, (c) => codes.get(c)!);
const split = Math.floor(tokens.length * 0.9);

/** A batch of B windows of T + 1 tokens from [from, to), drawn by `rng`. */
function batch(rng: Random, from: number, to: number): { idx: BigInt64Array; targets: BigInt64Array } {
  const idx = new BigInt64Array(B * T);
  const targets = new BigInt64Array(B * T);
  for (let b = 0; b < B; b++) {
    const at = from + Math.floor(rng.uniform() * (to - from - T - 1));
    for (let t = 0; t < T; t++) {
      idx[b * T + t] = BigInt(tokens[at + t]!);
      targets[b * T + t] = BigInt(tokens[at + t + 1]!);
    }
  }
  return { idx, targets };
}

interface Run {
  readonly label: string;
  readonly dtype: StorageDtype;
  readonly compensation?: 'kahan' | 'stochastic';
}
const RUNS: readonly Run[] = [
  { label: 'float32', dtype: 'float32' },
  { label: 'bfloat16 (plain)', dtype: 'bfloat16' },
  { label: 'bfloat16 + Kahan', dtype: 'bfloat16', compensation: 'kahan' },
  { label: 'bfloat16 stochastic', dtype: 'bfloat16', compensation: 'stochastic' },
];

const dir = mkdtempSync(join(tmpdir(), 'lmo-quality-'));
const file = join(dir, 'gpt.onnx');
execFileSync('/usr/bin/python3', [fileURLToPath(new URL('./export-gpt.py', import.meta.url)), file, String(B), '--n-layer', values.layers!, '--n-head', values.heads!, '--n-embd', values.width!], {
  env: { ...process.env, OMP_WAIT_POLICY: 'PASSIVE' },
  stdio: ['ignore', 'pipe', 'ignore'],
});
const evalRng = new Random(11);
const held = Array.from({ length: Number(values['eval-batches']) }, () => batch(evalRng, split, tokens.length));
const trainRng = new Random(5);
const train = Array.from({ length: steps }, () => batch(trainRng, 0, split));

const results: Array<{ label: string; steps: number[]; val: number[]; msPerStep: number }> = [];
try {
  console.log(`GPT ${values.layers} layers, width ${values.width}, block ${T}, batch ${B}; ScionLight lr ${lr} → 0 over ${steps} steps; ${corpus}`);
  for (const run of RUNS) {
    const trainer = await createOnnxTrainer(await loadOnnxModel(file), {
      trainable: '*',
      loss: 'loss',
      dtype: run.dtype,
      backend: onnxBackend({ intraOpNumThreads: Number(values.threads) }),
      optimizer: (p: ReadonlyMap<string, OnnxTensor>, b: OnnxBackend) =>
        scionLight(b, p, {
          lr,
          schedule: linearDecay(steps),
          groups: transformerGroups(),
          unconstrained: true,
          bufferDtype: run.dtype,
          ...(run.compensation !== undefined ? { compensation: run.compensation, roundingSeed: 1 } : {}),
        }),
    });
    const validate = async (): Promise<number> => {
      let sum = 0;
      for (const h of held) sum += await trainer.evaluate(h);
      return Number((sum / held.length).toFixed(4));
    };
    const row = { label: run.label, steps: [0], val: [await validate()], msPerStep: 0 };
    const started = performance.now();
    for (let s = 0; s < steps; s++) {
      await trainer.step(train[s]!);
      if ((s + 1) % every === 0 || s + 1 === steps) {
        row.steps.push(s + 1);
        row.val.push(await validate());
        process.stdout.write(`\r  ${run.label.padEnd(22)} step ${s + 1}/${steps} val ${row.val.at(-1)!.toFixed(4)}`);
      }
    }
    row.msPerStep = Math.round((performance.now() - started) / steps);
    process.stdout.write('\n');
    results.push(row);
    await trainer.dispose();
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
const base = results[0]!.val.at(-1)!;
for (const r of results) console.log(`${r.label.padEnd(22)} final val ${r.val.at(-1)!.toFixed(4)} (${r.val.at(-1)! - base >= 0 ? '+' : ''}${(r.val.at(-1)! - base).toFixed(4)} vs float32)`);
if (values.json !== undefined) {
  const command = `LMO_DATA=… pnpm --filter @lmo/onnxruntime bench:quality -- ${values.lr === String(2 ** -8) ? '' : `--lr ${values.lr} `}--json ${values.json}`;
  const config = { layers: Number(values.layers), width: Number(values.width), heads: Number(values.heads), block: T, batch: B, lr, schedule: 'linear decay to 0', steps, evalBatches: held.length };
  writeFileSync(values.json, `${JSON.stringify({ command, config, runs: results }, null, 2)}\n`);
}
