import { readFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { resolve } from 'node:path';
import { Command, Option } from '@commander-js/extra-typings';
import { CPU_CONFIG, optimizerName, type GPTConfig } from '@lmo/gpt';
import { BACKENDS, prepareCorpus, type Prepared } from '@lmo/gpt/node';
import { parseChoices, parseInteger, parseList as list } from '../cli/numbers.js';
import { exitCodeOf, UsageError } from '../util/errors.js';
import { parityBench } from './parity.js';
import { parseSideRecords, type NsDtype } from './side-records.js';
import { sideBySideReport } from './side-tables.js';
import { speedBench, speedTable } from './speed.js';
import { writeJson, writeJsonLines } from '../report/jsonl.js';
import { recipeCommand } from './recipe-command.js';
import { torchBench } from './torch.js';
import { transferCommand } from './transfer-command.js';
import { handoffCommand } from './handoff-command.js';

const int = parseInteger(1);
const count = parseInteger(0);

const backends = parseChoices(BACKENDS);

/**
 * Adds the options of a bench that builds one model shape — the corpus, the shape, the batch, the
 * seed, `--json` — to `c` (`defaults`: where it differs from nanoGPT's CPU config). Their names are
 * those of the bench's settings, so that the options are its settings.
 */
function shaped(c: Command, defaults: Partial<GPTConfig & { batchSize: number; seed: number }> = {}) {
  const d = { ...CPU_CONFIG, batchSize: 12, seed: 1337, ...defaults };
  return c
    .option('--data <file>', 'corpus (default as for pnpm nanogpt)')
    .option('--n-layer <n>', 'layers', int, d.nLayer)
    .option('--n-head <n>', 'heads', int, d.nHead)
    .option('--n-embd <n>', 'width', int, d.nEmbd)
    .option('--block-size <n>', 'context', int, d.blockSize)
    .option('--batch-size <n>', 'batch', int, d.batchSize)
    .option('--seed <n>', 'seed', int, d.seed)
    .option('--json <file>', 'write the results as JSON');
}

/** The corpus and the model's config of a {@link shaped} bench's options. */
const prepare = (o: { data?: string; nLayer: number; nHead: number; nEmbd: number; blockSize: number }): Promise<Prepared> =>
  prepareCorpus(o.data, { nLayer: o.nLayer, nHead: o.nHead, nEmbd: o.nEmbd, blockSize: o.blockSize });

function program(): Command {
  const p = new Command('bench').description('nanoGPT benchmarks: parity, speed, torch, transfer, recipe, handoff').exitOverride().configureOutput({ writeErr: () => {} });
  shaped(p.command('parity').description('same seed, N steps on every backend: loss difference and gradient error against the reference; exits 1 beyond tolerance'), { nLayer: 2, nEmbd: 64, blockSize: 32, batchSize: 4 })
    .option('--steps <n>', 'optimizer steps', int, 5)
    .option('--backends <list>', 'backends to compare with the reference', backends, ['tfjs-cpu', 'tfjs-wasm', 'onnxruntime', 'gpujs-cpu', 'gpujs-webasm'] as const)
    .option('--optimizer <name>', 'optimizer between the steps', 'scion')
    .action(async (o) => {
      const { data, config } = await prepare(o);
      const tolerances = { lossTol: 1e-4, gradTol0: 1e-3, gradTol: 5e-3 };
      const { reference_losses, rows } = await parityBench(data, config, { ...o, ...tolerances, optimizer: optimizerName(o.optimizer) }, console.log);
      if (o.json) writeJson(resolve(o.json), { config, batchSize: o.batchSize, seed: o.seed, optimizer: o.optimizer, steps: o.steps, reference_losses, rows });
      if (rows.some((r) => !r.ok)) process.exitCode = 1;
    });
  shaped(p.command('speed').description('ms per iteration (fwd+bwd, optimizer), tokens/s, Scion vs AdamW cost, per backend'))
    .option('--iters <n>', 'timed iterations', int, 5)
    .option('--warmup <n>', 'untimed iterations first', int, 1)
    .option('--backends <list>', 'backends', backends, [...BACKENDS])
    .option('--optimizers <list>', 'optimizers to time', list, ['adamw', 'scion', 'scionlight', 'muon'])
    .action(async (o) => {
      const { data, config } = await prepare(o);
      const optimizers = o.optimizers.map(optimizerName);
      const loadBefore = loadavg()[0]!;
      const rows = await speedBench(data, config, { ...o, optimizers }, console.log);
      console.log(`\n${speedTable(rows, optimizers)}`);
      // The machine, so that the timings can be read in context: they depend on it and its load.
      const machine = { cpus: cpus().length, cpu_model: cpus()[0]?.model ?? '', node: process.version, load_average_before: loadBefore, load_average_after: loadavg()[0]! };
      if (o.json) writeJson(resolve(o.json), { config, batchSize: o.batchSize, iters: o.iters, warmup: o.warmup, machine, rows });
    });
  shaped(p.command('torch').description('PyTorch eager (nanoGPT, its AdamW, Scion) against lmo at the same thread count: per-part medians and ratios, Newton–Schulz GEMM rates, peak memory'))
    .option('--threads <n>', "torch's threads (OpenMP, BLAS) and onnxruntime's", int, 2)
    .option('--iters <n>', 'timed runs per part', int, 30)
    .option('--warmup <n>', 'untimed runs per part first', count, 5)
    .option('--backends <list>', 'lmo backends', backends, ['onnxruntime'] as const)
    .option('--python <path>', 'the Python that has torch', '/usr/bin/python3')
    .option('--ns-dtypes <list>', "precisions of torch's Newton–Schulz: bf16 (the reference's), fp32", parseChoices<NsDtype>(['bf16', 'fp32']), ['bf16', 'fp32'] as const)
    .addOption(new Option('--omp-wait-policy <p>', "torch's OMP_WAIT_POLICY: passive, active, default (inherit)").choices(['passive', 'active', 'default'] as const).default('passive' as const))
    .action(async (o) => {
      const { data, config } = await prepare(o);
      const result = await torchBench(data, config, o, console.log);
      if (!result.ok) {
        console.log(`torch bench skipped: ${result.reason}`);
        return;
      }
      console.log(`\n${sideBySideReport([result.records])}`);
      if (o.json) {
        writeJsonLines(resolve(o.json), result.records);
        console.log(`\nJSON lines: ${resolve(o.json)}`);
      }
    });
  p.command('torch-table')
    .description('the side-by-side tables of one or more runs of `bench torch` (times: median over the runs; ratios: median of the per-run ratios)')
    .argument('<files...>', 'JSON lines written by bench torch --json')
    .action((files: string[]) => {
      const runs = files.map((f) => {
        try {
          return parseSideRecords(readFileSync(resolve(f), 'utf8'), f);
        } catch (e) {
          // a file that cannot be read has an error code; a record that does not parse, a message naming its line
          throw new UsageError((e as NodeJS.ErrnoException).code !== undefined ? `cannot read ${f}` : (e as Error).message);
        }
      });
      console.log(sideBySideReport(runs));
    });
  transferCommand(p);
  recipeCommand(p);
  handoffCommand(p);
  return p;
}

function main(argv: string[]): Promise<number> {
  const p = program();
  return exitCodeOf('bench', async () => {
    // `pnpm bench` alone: say what there is to run.
    if (argv.length === 0) process.stdout.write(p.helpInformation());
    else await p.parseAsync(argv, { from: 'user' });
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  });
}

main(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});
