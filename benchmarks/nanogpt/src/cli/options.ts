import { Command, InvalidArgumentError, Option } from '@commander-js/extra-typings';
import { BACKENDS, DEFAULT_BACKEND } from '@lmo/gpt/node';
import { COMPENSATIONS, CPU_CONFIG, DEFAULT_OPTIMIZER, OPTIMIZERS, parseCompensation, parseDtype, SCION_FAMILY } from '@lmo/gpt';
import { CHANGEABLE_OPTIONS } from '../run/identity.js';
import { parseInteger as int, parseLearningRate } from './numbers.js';

/** Everything `pnpm nanogpt` accepts, parsed (the types commander infers from {@link nanogptCommand}'s options). */
export type RunOptions = Readonly<ReturnType<ReturnType<typeof nanogptCommand>['opts']>>;

/**
 * Options that `--resume` may come with: the rest come from the run's `run.json`. Besides these,
 * the ones that set what a checkpoint may be continued with differently (see `run/identity.ts`).
 */
export const RESUME_OPTIONS: ReadonlySet<string> = new Set(['resume', 'progress', 'acceptChanges', 'saveEvery', 'sample', 'stopAt', ...CHANGEABLE_OPTIONS]);

/** The `nanogpt` command (commander), with nanoGPT's CPU config as defaults. */
export function nanogptCommand() {
  const optimizers = Object.keys(OPTIMIZERS).join(', ');
  return new Command('nanogpt')
    .description('Train nanoGPT (char-level, tiny shakespeare) with the tuned Scion-family recipe or another optimizer, on any of its backends (onnxruntime, reference, tfjs, gpu.js).')
    .addOption(new Option('--backend <name>', `model backend: ${BACKENDS.join(', ')}`).default(DEFAULT_BACKEND))
    .addOption(new Option('--optimizer <name>', `optimizer: ${optimizers}`).default(DEFAULT_OPTIMIZER))
    .option('--lr <number>', "base learning rate, e.g. 2^-8 or 1e-3 (default: the optimizer's: uscion-tuned and scion 2^-8, adamw 1e-3)", parseLearningRate)
    .option('--dtype <dtype>', 'how the weights and the optimizer\'s buffers are stored: float32 (default), bfloat16 (bf16) or float16 (fp16); the arithmetic stays float32 (onnxruntime)', argument(parseDtype))
    .option('--compensation <how>', `with a 16-bit --dtype, how the weights take updates below their last bit: ${COMPENSATIONS.join(', ')} (default none)`, argument(parseCompensation))
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
    .option('--out <dir>', 'the run directory: checkpoints, run.json, and the outputs not placed elsewhere (default: a new directory under benchmarks/nanogpt/out/)')
    .option('--json <file>', 'write the JSON lines here (one per evaluation, a summary per run) instead of DIR/metrics.jsonl; the plot and sample go next to it')
    .option('--plot <file>', 'write the SVG loss plot here (default: beside --json, else DIR/loss.svg); the sample goes next to it')
    .option('--save-every <n>', 'write a checkpoint every n iterations (0: only at the end and when stopped)', int(0), 100)
    .option('--stop-at <n>', 'stop after n iterations with a checkpoint, as Ctrl-C does, the schedule still that of --iters (continue with --resume, or hand the run to PyTorch with export-torch)', int(1))
    .option('--resume <dir>', 'continue the run in DIR from its last checkpoint, with the options it was started with (and any of --iters, --lr, --seed, --batch-size, --eval-every, --eval-iters, --backend, --data, --save-every, --sample, --stop-at given with it; --dtype and --compensation with --accept-changes too); DIR may be a handoff bundle that PyTorch wrote')
    .option('--accept-changes', 'with --resume: continue although run.json or the corpus changed since the last checkpoint (the model, its vocabulary and the optimizer never may)')
    .option('--force', 'start over in a --out DIR that holds a run, and overwrite existing --json/--plot files')
    .option('--compare <optimizer>', 'also train with this optimizer (same seed, data and backend) and plot both')
    .option('--sample <n>', 'characters of text to generate at the end (0: none)', int(0), 500)
    .option('--no-progress', 'plain log lines even on a terminal')
    .showHelpAfterError(false)
    .allowExcessArguments(false)
    .addHelpText('after', HELP_AFTER);
}

/** A parser of `@lmo/gpt` as a commander argument parser (its usage error becomes commander's). */
function argument<R>(parse: (text: string) => R): (text: string) => R {
  return (text) => {
    try {
      return parse(text);
    } catch (e) {
      throw new InvalidArgumentError((e as Error).message);
    }
  };
}

const HELP_AFTER = `
Output (DIR is --out, else a new benchmarks/nanogpt/out/<optimizers>-<backend>-seed<seed>-<time>/):
  DIR/run.json                   the options of the run (what --resume reads), and changes since
  DIR/checkpoint-<opt>.safetensors  weights (PyTorch names), optimizer state, step (= position in
                                 the batch stream), evaluations, the corpus's fingerprint, with
                                 SHA-256 checksums; every --save-every iterations, at the end, when stopped
  DIR/metrics.jsonl or --json    JSON lines: one per evaluation, a summary per optimizer
  DIR/loss.svg or --plot         the loss plot (beside --json when given)
  DIR/sample.txt                 the generated text (x.sample.txt beside a --json or --plot x.svg)
Every file is written atomically: a kill at any moment leaves the previous version complete.
One run at a time works in DIR (a lock; a killed run's lock is taken over).
Relative paths are relative to the directory the command was run in.

Stopping and resuming:
  Ctrl-C (also under pnpm, which forwards it as SIGTERM), or SIGTERM to the process, stops at the
  next step boundary after a final checkpoint and plot; a second Ctrl-C or signal stops at once.
  Continue with
    pnpm nanogpt --resume DIR
  which gives the same weights and losses as an uninterrupted run (same backend and threads).
  A checkpoint that is damaged, or that disagrees with run.json or the corpus, is refused; give
  --iters, --lr, --seed, --batch-size, --eval-every, --eval-iters, --backend or --data with --resume
  to change them, or --accept-changes to continue with an edited run.json or corpus. The model's
  shape, its vocabulary and the optimizer never change.

Handing a run to PyTorch and back (the guide "From lmo to PyTorch and back"):
    pnpm nanogpt --iters 400 --stop-at 200 --out DIR   train the first 200 of 400 iterations
    pnpm nanogpt export-torch DIR [--to BUNDLE]        its last checkpoint as a bundle (default DIR/torch-<step>):
                                                       model.safetensors, optimizer.safetensors, nanogpt.json
    python3 benchmarks/nanogpt/torch/train_handoff.py BUNDLE --out BACK   (or under torchrun, DDP)
    pnpm nanogpt --resume BACK                         continue in lmo: BACK becomes a run directory
  A bundle is checked completely (files, tensors, the optimizer's groups against the run, the corpus)
  before anything is written. Scion-family optimizers only: ${SCION_FAMILY.join(', ')}.

Exit codes: 0 done (or stopped at --stop-at), 1 diverged or failed (one line on stderr, earlier outputs kept),
  2 bad input or a damaged checkpoint (one line on stderr, nothing written),
  130 stopped by SIGINT, 143 stopped by SIGTERM.`;
