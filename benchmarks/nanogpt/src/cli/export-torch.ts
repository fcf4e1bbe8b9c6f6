import { resolve } from 'node:path';
import { Command } from 'commander';
import { exportRun } from '../handoff/run-dir.js';
import { typedPath } from '../util/shell.js';

/** `pnpm nanogpt export-torch DIR`: a run's last checkpoint as a handoff bundle for PyTorch. */
export function exportTorchCommand(): Command {
  return new Command('nanogpt export-torch')
    .description(
      "Write the last checkpoint of the run in DIR as a handoff bundle for PyTorch: model.safetensors (the weights under nanoGPT's PyTorch names), optimizer.safetensors (the state in scion.py's layout, its param groups, the step and the schedule) and nanogpt.json (the run).",
    )
    .argument('<dir>', 'the run directory (of pnpm nanogpt --out, or under benchmarks/nanogpt/out/)')
    .option('--to <folder>', 'where to write the bundle (default: DIR/torch-<step>)')
    .option('--optimizer <name>', "which optimizer's checkpoint, in a run with --compare (default: the run's --optimizer)")
    .option('--force', 'write into a --to folder that is not empty')
    .showHelpAfterError(false)
    .allowExcessArguments(false)
    .action((dir: string, o: { to?: string; optimizer?: string; force?: boolean }) => {
      const done = exportRun(resolve(dir), { ...(o.to !== undefined ? { to: resolve(o.to) } : {}), ...(o.optimizer !== undefined ? { optimizer: o.optimizer } : {}), force: o.force === true });
      const to = typedPath(done.to);
      console.log(
        [
          `nanogpt: ${done.optimizer} at step ${done.step} of ${done.iters} → ${to} (model.safetensors, optimizer.safetensors, nanogpt.json)`,
          `continue in PyTorch: python3 benchmarks/nanogpt/torch/train_handoff.py ${to} --out BACK`,
          `  or with DDP:       torchrun --redirects 1 --tee 1 --nproc_per_node 2 benchmarks/nanogpt/torch/train_handoff.py ${to} --out BACK`,
          'then in lmo:        pnpm nanogpt --resume BACK',
        ].join('\n'),
      );
    });
}
