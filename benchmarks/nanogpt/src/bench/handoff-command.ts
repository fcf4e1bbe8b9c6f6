import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Command } from '@commander-js/extra-typings';
import { PACKAGE_DIR } from '../package-dir.js';
import { CPU_CONFIG, OPTIMIZERS, optimizerName, scionFamilyOptions, type OptimizerName } from '@lmo/gpt';
import { createModel, DEFAULT_BACKEND, prepareCorpus } from '@lmo/gpt/node';
import { handoffSvg, handoffTable, parseHandoffRecords, summarizeHandoff, type HandoffRecord } from '../report/handoff-report.js';
import { writeFileAtomic } from '@lmo/core/node';
import { writeJsonLines } from '../report/jsonl.js';
import { UsageError } from '../util/errors.js';
import { parseInteger, parseList } from '../cli/numbers.js';
import { handoffBench } from './handoff.js';
import { TORCH_INSTALL } from './torch-python.js';

const int = parseInteger;
const list = parseList;

/** Prints each optimizer's table and writes its plot beside the records. */
function report(records: readonly HandoffRecord[], out: string): void {
  for (const s of summarizeHandoff(records)) {
    console.log(`\n${s.optimizer}\n${handoffTable(s)}`);
    writeFileAtomic(join(out, `handoff-${s.optimizer}.svg`), handoffSvg(records, s.optimizer));
  }
}

/** The results folder of the check. */
export const HANDOFF_RESULTS = join(PACKAGE_DIR, 'results', 'handoff');

/** `pnpm bench handoff`: registers the command on `program`. */
export function handoffCommand(program: Command): Command {
  return program
    .command('handoff')
    .description(
      "hands the main job to PyTorch and back halfway (lmo → PyTorch and PyTorch → lmo, one process and DDP) with the same batches, next to lmo's straight runs over several seeds: records, a table, plots (needs python3-torch)",
    )
    .option('--data <file>', 'corpus (default as for pnpm nanogpt)')
    .option('--backend <name>', "lmo's model backend", DEFAULT_BACKEND)
    .option('--optimizers <list>', 'Scion-family optimizers', list, ['uscion-tuned', 'scion', 'scionlight'])
    .option('--seeds <n>', "lmo's straight runs per optimizer (from --seed on; the first is handed over)", int(1), 3)
    .option('--seed <n>', 'first seed', int(0), 1337)
    .option('--iters <n>', 'iterations of each run', int(1), 400)
    .option('--handoff-at <n>', 'the step the run is handed over at', int(1), 200)
    .option('--eval-every <n>', 'evaluate every n iterations', int(1), 200)
    .option('--eval-iters <n>', 'batches per split per evaluation', int(1), 200)
    .option('--batch-size <n>', 'batch', int(1), 12)
    .option('--ddp <n>', 'processes of the DistributedDataParallel runs (0: none)', int(0), 2)
    .option('--threads <n>', "torch's threads in a single-process run (one per DDP process)", int(1), 2)
    .option('--python <path>', 'the Python that has torch', '/usr/bin/python3')
    .option('--out <dir>', 'results folder (handoff.jsonl, handoff-<optimizer>.svg)', HANDOFF_RESULTS)
    .option('--report-only', "no training: the tables and plots of the records already in --out's handoff.jsonl")
    .action(async (o) => {
      const out = resolve(o.out);
      const file = join(out, 'handoff.jsonl');
      if (o.reportOnly) {
        if (!existsSync(file)) throw new UsageError(`${file} does not exist: run the check first`);
        report(parseHandoffRecords(readFileSync(file, 'utf8')), out);
        return;
      }
      const optimizers = o.optimizers.map(optimizerName);
      for (const name of optimizers) scionFamilyOptions(name, 1, () => 1); // a usage error for the others
      if (o.handoffAt >= o.iters) throw new UsageError(`--handoff-at ${o.handoffAt} must come before the end of the run (--iters ${o.iters})`);
      if (o.ddp === 1 || (o.ddp > 1 && o.batchSize % o.ddp !== 0)) throw new UsageError(`--ddp ${o.ddp}: give 0, or a number of processes ≥ 2 that divides --batch-size ${o.batchSize}`);
      if (spawnSync(o.python, ['-c', 'import torch'], { stdio: 'ignore' }).status !== 0) throw new UsageError(`${o.python} has no torch: ${TORCH_INSTALL}`);
      const { data, config, source, fingerprint } = await prepareCorpus(o.data, { ...CPU_CONFIG });
      const model = await createModel(o.backend, config);
      mkdirSync(out, { recursive: true });
      const records: HandoffRecord[] = [];
      const settings = (name: OptimizerName, seed: number) => ({
        optimizer: name,
        lr: OPTIMIZERS[name].lr,
        config,
        dataHash: fingerprint.sha256,
        dataPath: source.path,
        settings: { iters: o.iters, batchSize: o.batchSize, evalEvery: o.evalEvery, evalIters: o.evalIters, seed },
      });
      console.log(`handoff check: ${optimizers.join(', ')}; ${o.iters} iterations, handed over at ${o.handoffAt}; ${o.seeds} seeds of lmo straight; ${model.name} and PyTorch (${o.python})`);
      await handoffBench(
        model,
        data,
        settings,
        { optimizers, seeds: Array.from({ length: o.seeds }, (_, i) => o.seed + i), handoffAt: o.handoffAt, ddp: o.ddp, python: o.python, dataPath: source.path, threads: o.threads },
        (record) => {
          records.push(record);
          writeJsonLines(file, records);
        },
        console.log,
      );
      await model.dispose();
      report(records, out);
      console.log(`\nrecords: ${file}; plots: ${join(out, 'handoff-<optimizer>.svg')}`);
    });
}
