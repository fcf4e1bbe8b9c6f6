import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { InvalidArgumentError } from 'commander';
import type { Command } from '@commander-js/extra-typings';
import { PACKAGE_DIR } from '../package-dir.js';
import { CPU_CONFIG, type GptModel, optimizerName } from '@lmo/gpt';
import { createModel, DEFAULT_BACKEND, isBackendName, BACKENDS, prepareCorpus } from '@lmo/gpt/node';
import { bestLrs, bestLrTable, isTransferRecord, shiftSummary, transferSvg, lrLabel, type TransferRecord } from '../report/transfer-report.js';
import { UsageError } from '../util/errors.js';
import { parseInteger, parseIntegers, parseLearningRates, parseList } from '../cli/numbers.js';
import { readRecords, sweepQueue } from './queue.js';
import { checkPlan, configAt, inPlan, pendingPoints, pointKey, recordKey, runTransferPoint, type TransferPlan, type TransferPoint } from './transfer.js';

/**
 * The default lr grids: powers of two around 2⁻⁸ for the Scion family, factors of 2 from 5e-4 for
 * AdamW. Four points each (the widest model's Scion runs are the sweep's cost); a curve whose best lr
 * is at an edge is extended beyond it.
 */
export const DEFAULT_GRIDS: Readonly<Record<string, readonly number[]>> = {
  scion: [2 ** -9, 2 ** -8, 2 ** -7, 2 ** -6],
  uscion: [2 ** -9, 2 ** -8, 2 ** -7, 2 ** -6],
  scionlight: [2 ** -9, 2 ** -8, 2 ** -7, 2 ** -6],
  adamw: [5e-4, 1e-3, 2e-3, 4e-3],
};

const int = parseInteger(0);
const list = parseList;

/** `optimizer=lr1,lr2,…` (repeatable) → grids. */
function gridOption(v: string, prev: Record<string, number[]> = {}): Record<string, number[]> {
  const eq = v.indexOf('=');
  if (eq <= 0) throw new InvalidArgumentError(`expected optimizer=lr1,lr2,…, got "${v}"`);
  return { ...prev, [v.slice(0, eq).trim()]: parseLearningRates(v.slice(eq + 1)).sort((a, b) => a - b) };
}

/** Prints the per-width best-lr table and writes the figure (from the file, not just this worker's runs). */
function report(file: string, plan: TransferPlan, plotPath: string): void {
  const records = readRecords(file, isTransferRecord).filter((r) => inPlan(r, plan));
  if (records.length === 0) {
    console.log(`no transfer records for this plan in ${file}`);
    return;
  }
  const best = bestLrs(records, plan.seed);
  console.log(`\n${bestLrTable(best)}\n`);
  for (const line of shiftSummary(best)) console.log(line);
  mkdirSync(dirname(plotPath), { recursive: true });
  writeFileSync(plotPath, transferSvg(records, plan.seed, (opt) => `${opt}: final val loss vs lr, ${plan.iters} iterations`));
  console.log(`plot: ${plotPath}`);
}

/** `pnpm bench transfer`: registers the command on `program`. */
export function transferCommand(program: Command): Command {
  return program
    .command('transfer')
    .description('lr transfer across width: widths × optimizers × lr grid (extended at an edge) × seeds; resumable, several workers may share one --json file')
    .option('--data <file>', 'corpus (default as for pnpm nanogpt)')
    .option('--backend <name>', 'model backend', DEFAULT_BACKEND)
    .option('--widths <list>', 'model widths (n_embd)', parseIntegers(1), [64, 128, 256, 512])
    .option('--head-dim <n>', 'head dimension kept fixed (n_head = width / head-dim)', int, CPU_CONFIG.nEmbd / CPU_CONFIG.nHead)
    .option('--n-layer <n>', 'layers', int, CPU_CONFIG.nLayer)
    .option('--block-size <n>', 'context', int, CPU_CONFIG.blockSize)
    .option('--batch-size <n>', 'batch', int, 12)
    .option('--optimizers <list>', 'optimizers', list, ['scion', 'adamw'])
    .option('--grid <optimizer=lrs>', 'lr grid of an optimizer, e.g. scion=2^-10,2^-9,2^-8 (repeatable; default: 2^-9…2^-6 for the Scion family, 5e-4…4e-3 for AdamW)', gridOption)
    .option('--sparse-widths <list>', 'widths that start from the middle of each grid (within one step of its centre) and extend only to bracket their minimum', parseIntegers(1))
    .option('--seed <n>', 'seed of the grid runs; the extra seeds follow it', int, 1337)
    .option('--extra-seeds <n>', 'more seeds at each width’s best lr', int, 2)
    .option('--max-extend <n>', 'lrs added beyond a grid edge that holds the minimum, per side', int, 2)
    .option('--iters <n>', 'iterations per run (the schedule ends here)', int, 500)
    .option('--eval-iters <n>', 'batches per split in the final evaluation', int, 50)
    .option('--json <file>', 'results file (JSON lines, appended; points already in it are skipped; default: benchmarks/nanogpt/results/transfer/transfer-<iters>.jsonl)')
    .option('--plot <file>', 'the figure (default: out/transfer-<iters>.svg)')
    .option('--report-only', 'print the table and write the figure from the file, train nothing')
    .action(async (o) => {
      if (!isBackendName(o.backend)) throw new UsageError(`unknown backend "${o.backend}" (choose from: ${BACKENDS.join(', ')})`);
      const optimizers = o.optimizers.map(optimizerName);
      const grids: Record<string, readonly number[]> = { ...DEFAULT_GRIDS, ...(o.grid ?? {}) };
      const plan: TransferPlan = {
        widths: o.widths,
        sparseWidths: o.sparseWidths ?? [],
        headDim: o.headDim,
        nLayer: o.nLayer,
        blockSize: o.blockSize,
        batchSize: o.batchSize,
        optimizers,
        grids,
        seed: o.seed,
        extraSeeds: o.extraSeeds,
        maxExtend: o.maxExtend,
        iters: o.iters,
        evalIters: o.evalIters,
      };
      try {
        checkPlan(plan);
      } catch (e) {
        throw new UsageError((e as Error).message);
      }
      const file = o.json ? resolve(o.json) : join(PACKAGE_DIR, 'results', 'transfer', `transfer-${o.iters}.jsonl`);
      const plotPath = o.plot ? resolve(o.plot) : join(PACKAGE_DIR, 'out', `transfer-${o.iters}.svg`);
      if (o.reportOnly) {
        report(file, plan, plotPath);
        return;
      }
      const { vocabSize: _v, ...shape } = configAt(plan, plan.widths[0]!, 1);
      const { data } = await prepareCorpus(o.data, shape);
      let model: GptModel<unknown> | undefined;
      const modelFor = async (width: number): Promise<GptModel<unknown>> => {
        if (model?.config.nEmbd === width) return model;
        model?.dispose();
        model = await createModel(o.backend, configAt(plan, width, data.vocabSize));
        return model;
      };
      try {
        await sweepQueue<TransferPoint, TransferRecord>({
          file,
          accept: isTransferRecord,
          pending: (records) => pendingPoints(plan, records),
          pointKey: (p) => pointKey(p, plan),
          recordKey,
          describe: (p) => `${p.optimizer} width ${p.width} (${p.nHead} heads) lr ${lrLabel(p.lr)} seed ${p.seed} [${p.phase}]`,
          run: async (p) => runTransferPoint(await modelFor(p.width), data, plan, p),
        });
      } finally {
        model?.dispose();
      }
      report(file, plan, plotPath);
    });
}
