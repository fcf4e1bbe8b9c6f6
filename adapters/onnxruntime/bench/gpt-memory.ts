/**
 * Bytes per parameter of persistent training state, and the peak memory of training, for nanoGPT's
 * GPT (as PyTorch exports it) trained through `createOnnxTrainer` on onnxruntime-node, with
 *
 * - AdamW float32 (weights, gradients, two moments), Scion float32 (weights, gradients, momentum),
 *   ScionLight float32 (weights and the one buffer G the gradients are added into, inside the graph);
 * - ScionLight with weights and G in bfloat16: plain (round to nearest even), with the Kahan
 *   compensation buffer (`compensation: 'kahan'`, in bfloat16) and with stochastic rounding
 *   (`compensation: 'stochastic'`).
 *
 * Two models: `toy`, the test fixture (test/fixtures/torch/gpt: vocab 65, block 16, 2 layers, width
 * 32, batch 4), and `mid`, the same GPT exported at run time by bench/export-gpt.py (needs python3 with torch;
 * `--layers 6 --width 384 --heads 6 --batch 4` by default). Each configuration runs in its own
 * process: `persistent` = (optimizer.parameterBytes + optimizer.ownedBytes + the float32 gradients
 * the session hands back when it does not add them into G) / parameters, as the packages count
 * them; `made` is the resident memory `createOnnxTrainer` added (sessions, weights, buffers, its
 * graphs); `steps` is the peak resident memory (VmHWM) over `--steps` steps above the resident
 * memory before them.
 *
 *   pnpm --filter @lmo/onnxruntime bench:gpt-memory [-- --steps 3 --threads 2 --layers 6 --width 384 --heads 6 --batch 4 --json bench/results/gpt-memory.json]
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { CONFIGS, configNamed, exportGpt, measureTraining } from './gpt-training.js';

const { values } = parseArgs({
  args: process.argv.slice(2).filter((a) => a !== '--'),
  options: {
    steps: { type: 'string', default: '3' },
    threads: { type: 'string', default: '2' },
    layers: { type: 'string', default: '6' },
    width: { type: 'string', default: '384' },
    heads: { type: 'string', default: '6' },
    batch: { type: 'string', default: '4' },
    json: { type: 'string' },
    child: { type: 'string' },
    model: { type: 'string' },
  },
});
const steps = Number(values.steps);
const threads = Number(values.threads);

if (values.child !== undefined) {
  const row = await measureTraining(configNamed(values.child), values.model!, steps, threads);
  process.stdout.write(`${JSON.stringify(row)}\n`);
} else {
  const self = fileURLToPath(import.meta.url);
  const dir = mkdtempSync(join(tmpdir(), 'lmo-gpt-memory-'));
  const mid = join(dir, 'gpt-mid.onnx');
  const shape = { layers: Number(values.layers), width: Number(values.width), heads: Number(values.heads), batch: Number(values.batch) };
  exportGpt(mid, { ...shape, block: 64 });
  const models = [
    { name: 'toy', file: fileURLToPath(new URL('../test/fixtures/torch/gpt/model.onnx', import.meta.url)), description: 'test fixture: vocab 65, block 16, 2 layers, 2 heads, width 32, batch 4' },
    { name: 'mid', file: mid, description: `bench/export-gpt.py: vocab 65, block 64, ${shape.layers} layers, ${shape.heads} heads, width ${shape.width}, batch ${shape.batch}` },
  ];
  const results: Array<{ model: string; description: string; rows: Array<Record<string, number | string>> }> = [];
  try {
    for (const m of models) {
      const rows: Array<Record<string, number | string>> = [];
      console.log(`${m.name} (${m.description}), ${steps} steps, ${threads} threads`);
      for (const config of CONFIGS) {
        const out = execFileSync(process.execPath, [...process.execArgv, self, '--child', config.label, '--model', m.file, '--steps', String(steps), '--threads', String(threads)], { encoding: 'utf8' });
        const row = JSON.parse(out.trim().split('\n').pop()!) as Record<string, number | string>;
        rows.push(row);
        console.log(
          `  ${String(row['config']).padEnd(31)} ${String(row['parameters']).padStart(9)} params  persistent ${String(row['persistent']).padStart(5)} B/param (weights ${row['weights']}, optimizer ${row['optimizer']}, gradients ${row['gradients']})   made ${row['madeMiB']} MiB, steps' peak ${row['stepsPeakMiB']} MiB (${row['stepsPeakBytesPerParameter']} B/param)   loss ${row['loss']}`,
        );
      }
      results.push({ model: m.name, description: m.description, rows });
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  if (values.json !== undefined) {
    const command = 'pnpm --filter @lmo/onnxruntime bench:gpt-memory -- --json bench/results/gpt-memory.json';
    writeFileSync(values.json, `${JSON.stringify({ command, steps, threads, models: results }, null, 2)}\n`);
  }
}

