/**
 * AdamW's step on host arrays (the WebAssembly pass of optimizer/host-adamw.ts) in two checkouts of
 * core, interleaved: for each GPT (nanoGPT's parameter shapes), rounds of `--steps` steps of one
 * checkout, then of the other, and again, `--rounds` times; the median milliseconds per step of
 * each, and their ratio (after / before). The backend is core's reference backend with host arrays
 * (a parameter's new array handed back to the next step, as onnxruntime adopts them), the gradients
 * fixed random arrays; nothing else runs in the step.
 *
 *   mkdir -p packages/core/.before && git archive <commit> packages/core/src | tar -x --strip-components=3 -C packages/core/.before
 *   pnpm --filter @lmo/core bench:host-adamw -- --before .before [--after src --steps 10 --rounds 7]
 *
 * (`--before`: the `src` of another version of core, relative to packages/core; inside it, so that its
 * imports find core's dependencies.)
 */
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  args: process.argv.slice(2).filter((a) => a !== '--'),
  options: {
    before: { type: 'string' },
    after: { type: 'string', default: 'src' },
    steps: { type: 'string', default: '10' },
    rounds: { type: 'string', default: '7' },
  },
});
if (values.before === undefined) throw new Error('--before DIR (the src folder of the checkout to compare against) is required');

interface Core {
  adamw: (backend: unknown, params: Map<string, unknown>, options: { lr: number }) => { step(grads: Map<string, unknown>): unknown };
  createReferenceBackend: (options?: { name?: string }) => { fromArray(data: Float32Array, shape: readonly number[]): { data: Float32Array } };
  Random: new (seed: number) => { normal(): number };
}
async function load(dir: string): Promise<Core> {
  const url = (file: string): string => pathToFileURL(resolve(dir, file)).href;
  const [index, reference] = await Promise.all([import(url('index.ts')), import(url('reference/index.ts'))]);
  return { adamw: index.adamw, Random: index.Random, createReferenceBackend: reference.createReferenceBackend } as Core;
}

/** nanoGPT's GPT parameter shapes (vocab 65, block 64, tied head). */
function gpt(layers: number, width: number): number[][] {
  const block = [[width], [width, 3 * width], [width, width], [width], [width, 4 * width], [4 * width, width]];
  return [[65, width], [64, width], ...Array.from({ length: layers }, () => block).flat(), [width]];
}

/** An optimizer of `core` over the shapes, and one step of it on fixed gradients. */
function setup(core: Core, shapes: number[][]): () => void {
  const base = core.createReferenceBackend({ name: 'reference+host' });
  // as onnxruntime keeps them: a target takes over the returned array, and the next run hands it back
  const adopted = new WeakMap<object, Float32Array>();
  const backend = {
    ...base,
    host: {
      run(inputs: Array<{ data: Float32Array }>, targets: Array<{ data: Float32Array }>, fn: (arrays: Float32Array[]) => Float32Array[] | undefined) {
        const out = fn(inputs.map((x) => adopted.get(x) ?? x.data));
        if (out === undefined) return false;
        targets.forEach((t, i) => {
          t.data.set(out[i]!);
          adopted.set(t, out[i]!);
        });
        return true;
      },
    },
  };
  const rng = new core.Random(1);
  const random = (s: number[]): Float32Array => Float32Array.from({ length: s.reduce((a, d) => a * d, 1) }, () => rng.normal());
  const params = new Map(shapes.map((s, i) => [`p${i}`, backend.fromArray(random(s).map((x) => 0.02 * x), s)]));
  const grads = new Map(shapes.map((s, i) => [`p${i}`, backend.fromArray(random(s).map((x) => 1e-3 * x), s)]));
  const opt = core.adamw(backend, params, { lr: 1e-3 });
  return () => void opt.step(grads);
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const [before, after] = await Promise.all([load(values.before), load(values.after)]);
const steps = Number(values.steps);
for (const [name, shapes] of [
  ['4 layers, width 128 (the main job)', gpt(4, 128)],
  ['6 layers, width 384', gpt(6, 384)],
  ['12 layers, width 768', gpt(12, 768)],
] as const) {
  const n = shapes.reduce((a, s) => a + s.reduce((x, d) => x * d, 1), 0);
  const runs = [setup(before, shapes), setup(after, shapes)];
  const ms: number[][] = [[], []];
  runs.forEach((run) => run()); // warm-up
  for (let r = 0; r < Number(values.rounds); r++) {
    runs.forEach((run, k) => {
      const t0 = performance.now();
      for (let s = 0; s < steps; s++) run();
      ms[k]!.push((performance.now() - t0) / steps);
    });
  }
  const [b, a] = ms.map(median) as [number, number];
  console.log(`${name}, ${(n / 1e6).toFixed(2)}M parameters: before ${b.toFixed(2)} ms/step, after ${a.toFixed(2)} ms/step, after/before ${(a / b).toFixed(3)}`);
}
