import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { Command, CommanderError, InvalidArgumentError } from 'commander';
import { CPU_CONFIG } from '../model/config.js';
import { BACKENDS, DEFAULT_BACKEND, createModelBackend, isBackendName, type BackendName } from '../model/registry.js';
import type { OptimizerName } from '../optim/factory.js';
import { optimizerName, prepare } from '../train/experiment.js';
import { UsageError } from '../util/errors.js';
import { parityBench } from './parity.js';
import { speedBench, speedTable, writeJson } from './speed.js';
import { recipeCommand } from './recipe-command.js';
import { sweepBench, sweepTable } from './sweep.js';
import { transferCommand } from './transfer-command.js';

const int = (v: string): number => {
  const n = Number(v);
  if (!Number.isSafeInteger(n) || n < 1) throw new InvalidArgumentError(`expected an integer ≥ 1, got "${v}"`);
  return n;
};
const list = (v: string): string[] => v.split(',').map((s) => s.trim()).filter((s) => s !== '');
const numbers = (v: string): number[] =>
  list(v).map((s) => {
    const n = s.startsWith('2^') ? 2 ** Number(s.slice(2)) : Number(s);
    if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError(`not a positive number: "${s}"`);
    return n;
  });

function backends(names: string[]): BackendName[] {
  for (const n of names) if (!isBackendName(n)) throw new UsageError(`unknown backend "${n}" (choose from: ${BACKENDS.join(', ')})`);
  return names as BackendName[];
}

interface Common {
  data?: string;
  nLayer: number;
  nHead: number;
  nEmbd: number;
  blockSize: number;
  batchSize: number;
  seed: number;
  json?: string;
}

function common(c: Command, defaults: Partial<Omit<Common, 'data' | 'json'>> = {}): Command {
  return c
    .option('--data <file>', 'corpus (default as for pnpm nanogpt)')
    .option('--n-layer <n>', 'layers', int, defaults.nLayer ?? CPU_CONFIG.nLayer)
    .option('--n-head <n>', 'heads', int, defaults.nHead ?? CPU_CONFIG.nHead)
    .option('--n-embd <n>', 'width', int, defaults.nEmbd ?? CPU_CONFIG.nEmbd)
    .option('--block-size <n>', 'context', int, defaults.blockSize ?? CPU_CONFIG.blockSize)
    .option('--batch-size <n>', 'batch', int, defaults.batchSize ?? 12)
    .option('--seed <n>', 'seed', int, defaults.seed ?? 1337)
    .option('--json <file>', 'write the results as JSON');
}

async function setup(o: Common) {
  return prepare(o.data, { nLayer: o.nLayer, nHead: o.nHead, nEmbd: o.nEmbd, blockSize: o.blockSize });
}

function program(): Command {
  const p = new Command('bench').description('nanoGPT benchmarks: parity, speed, sweep, transfer, recipe').exitOverride().configureOutput({ writeErr: () => {} });
  common(
    p.command('parity').description('same seed, N steps on every backend: loss difference and gradient error against the reference; exits 1 beyond tolerance'),
    { nLayer: 2, nEmbd: 64, blockSize: 32, batchSize: 4 },
  )
    .option('--steps <n>', 'optimizer steps', int, 5)
    .option('--backends <list>', 'backends to compare with the reference', list, ['tfjs-cpu', 'tfjs-wasm', 'onnxruntime', 'gpujs-cpu', 'gpujs-webasm'])
    .option('--optimizer <name>', 'optimizer between the steps', 'scion')
    .action(async (o: Common & { steps: number; backends: string[]; optimizer: string }) => {
      const { data, config } = await setup(o);
      const rows = await parityBench(data, config, {
        backends: backends(o.backends),
        optimizer: optimizerName(o.optimizer),
        steps: o.steps,
        batchSize: o.batchSize,
        seed: o.seed,
        lossTol: 1e-4,
        gradTol0: 1e-3,
        gradTol: 5e-3,
      }, console.log);
      if (o.json) writeJson(resolve(o.json), { config, optimizer: o.optimizer, steps: o.steps, rows });
      if (rows.some((r) => !r.ok)) process.exitCode = 1;
    });
  common(p.command('speed').description('ms per iteration (fwd+bwd, optimizer), tokens/s, Scion vs AdamW cost, per backend'))
    .option('--iters <n>', 'timed iterations', int, 5)
    .option('--warmup <n>', 'untimed iterations first', int, 1)
    .option('--backends <list>', 'backends', list, [...BACKENDS])
    .option('--optimizers <list>', 'optimizers to time', list, ['adamw', 'scion', 'scionlight', 'muon'])
    .action(async (o: Common & { iters: number; warmup: number; backends: string[]; optimizers: string[] }) => {
      const { data, config } = await setup(o);
      const optimizers = o.optimizers.map(optimizerName);
      const rows = await speedBench(data, config, {
        backends: backends(o.backends),
        optimizers,
        iters: o.iters,
        warmup: o.warmup,
        batchSize: o.batchSize,
        seed: o.seed,
      }, console.log);
      console.log(`\n${speedTable(rows, optimizers)}`);
      if (o.json) writeJson(resolve(o.json), { config, batchSize: o.batchSize, iters: o.iters, rows });
    });
  common(p.command('sweep').description('lr sweep for scion/uscion/scionlight over seeds (long)'))
    .option('--backend <name>', 'model backend', DEFAULT_BACKEND)
    .option('--optimizers <list>', 'optimizers', list, ['scion', 'uscion', 'scionlight'])
    .option('--lrs <list>', 'learning rates (2^k allowed)', numbers, [2 ** -10, 2 ** -9, 2 ** -8, 2 ** -7, 2 ** -6])
    .option('--seeds <n>', 'seeds per setting (1337, 1338, ...)', int, 3)
    .option('--iters <n>', 'iterations per run', int, 500)
    .option('--eval-iters <n>', 'batches per split in the final evaluation', int, 50)
    .action(async (o: Common & { backend: string; optimizers: string[]; lrs: number[]; seeds: number; iters: number; evalIters: number }) => {
      const { data, config } = await setup(o);
      const optimizers: OptimizerName[] = o.optimizers.map(optimizerName);
      const model = await createModelBackend(backends([o.backend])[0]!, config);
      const out = o.json ? resolve(o.json) : undefined;
      if (out) {
        mkdirSync(dirname(out), { recursive: true });
        writeFileSync(out, '');
      }
      const rows = await sweepBench(model, data, {
        optimizers,
        lrs: o.lrs,
        seeds: Array.from({ length: o.seeds }, (_, i) => o.seed + i),
        iters: o.iters,
        batchSize: o.batchSize,
        evalIters: o.evalIters,
      }, (row) => {
        console.log(`${row.optimizer} lr ${row.lr.toExponential(3)} seed ${row.seed}: final val ${row.final_val_loss.toFixed(4)} (${row.seconds.toFixed(0)} s)`);
        if (out) appendFileSync(out, `${JSON.stringify({ backend: model.name, iters: o.iters, ...row })}\n`);
      });
      console.log(`\n${sweepTable(rows)}`);
      model.dispose();
    });
  transferCommand(p);
  recipeCommand(p);
  return p;
}

async function main(argv: string[]): Promise<number> {
  try {
    await program().parseAsync(argv, { from: 'user' });
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (e) {
    if (e instanceof CommanderError) {
      if (e.exitCode === 0) return 0;
      process.stderr.write(`bench: ${e.message.replace(/^error: /, '')}\n`);
      return 2;
    }
    if (e instanceof UsageError) {
      process.stderr.write(`bench: ${e.message}\n`);
      return 2;
    }
    process.stderr.write(`bench: ${(e as Error).stack ?? String(e)}\n`);
    return 1;
  }
}

main(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});
