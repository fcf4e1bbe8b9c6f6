import { Command, InvalidArgumentError, Option } from 'commander';
import { BACKENDS, DEFAULT_BACKEND } from '../model/registry.js';
import { CPU_CONFIG } from '../model/config.js';
import { DEFAULT_OPTIMIZER, OPTIMIZERS } from '../optim/factory.js';

/** Everything `pnpm nanogpt` accepts, parsed. */
export interface RunOptions {
  readonly backend: string;
  readonly optimizer: string;
  readonly lr?: number;
  readonly iters: number;
  readonly seed: number;
  readonly nLayer: number;
  readonly nHead: number;
  readonly nEmbd: number;
  readonly blockSize: number;
  readonly batchSize: number;
  readonly evalEvery: number;
  readonly evalIters: number;
  readonly data?: string;
  readonly json?: string;
  readonly plot?: string;
  readonly compare?: string;
  readonly sample: number;
  readonly progress: boolean;
}

function int(min: number): (v: string) => number {
  return (v) => {
    const n = Number(v);
    if (!/^\s*-?\d+\s*$/.test(v) || !Number.isSafeInteger(n) || n < min) {
      throw new InvalidArgumentError(`expected an integer ≥ ${min}, got "${v}"`);
    }
    return n;
  };
}

function positive(v: string): number {
  const n = Number(v);
  if (v.trim() === '' || !Number.isFinite(n) || n <= 0) throw new InvalidArgumentError(`expected a number > 0, got "${v}"`);
  return n;
}

/** The `nanogpt` command (commander), with nanoGPT's CPU config as defaults. */
export function nanogptCommand(): Command {
  const optimizers = Object.keys(OPTIMIZERS).join(', ');
  return new Command('nanogpt')
    .description('Train nanoGPT (char-level, tiny shakespeare) with the tuned Scion-family recipe or another optimizer, on any of its backends (onnxruntime, reference, tfjs, gpu.js).')
    .addOption(new Option('--backend <name>', `model backend: ${BACKENDS.join(', ')}`).default(DEFAULT_BACKEND))
    .addOption(new Option('--optimizer <name>', `optimizer: ${optimizers}`).default(DEFAULT_OPTIMIZER))
    .option('--lr <number>', "base learning rate (default: the optimizer's, e.g. uscion-tuned and scion 2^-8, adamw 1e-3)", positive)
    .option('--iters <n>', 'training iterations (cosine decay ends here)', int(0), 2000)
    .option('--seed <n>', 'seed of the initial weights and of the batches', int(0), 1337)
    .option('--n-layer <n>', 'transformer blocks', int(1), CPU_CONFIG.nLayer)
    .option('--n-head <n>', 'attention heads', int(1), CPU_CONFIG.nHead)
    .option('--n-embd <n>', 'embedding width', int(1), CPU_CONFIG.nEmbd)
    .option('--block-size <n>', 'context length', int(1), CPU_CONFIG.blockSize)
    .option('--batch-size <n>', 'sequences per batch', int(1), 12)
    .option('--eval-every <n>', 'evaluate every n iterations', int(1), 250)
    .option('--eval-iters <n>', 'batches per split per evaluation', int(1), 200)
    .option('--data <file>', 'corpus (default: $LMO_DATA, ../shared/data/tinyshakespeare.txt, .cache/, else download)')
    .option('--json <file>', 'write JSON lines (one per evaluation, a summary per run); the plot goes next to it')
    .option('--plot <file>', 'where to write the SVG loss plot (default: beside --json, else out/)')
    .option('--compare <optimizer>', 'also train with this optimizer (same seed, data and backend) and plot both')
    .option('--sample <n>', 'characters of text to generate at the end (0: none)', int(0), 500)
    .option('--no-progress', 'plain log lines even on a terminal')
    .showHelpAfterError(false)
    .allowExcessArguments(false);
}
