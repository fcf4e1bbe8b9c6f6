// PyTorch → ONNX → lmo → PyTorch: a module pretrained in PyTorch (torch_roundtrip.py) and exported
// as the guide says is fine-tuned by lmo with some initializers frozen; exportSafetensors writes the
// weights, and PyTorch loads them into the module (the pretrained state_dict loaded first, strict):
// its loss on a held batch is lmo's evaluate() to 1e-5 relative, the frozen tensors are the
// pretrained ones bit for bit, the trained ones trainer.weights() bit for bit. Skipped where python3
// with torch is not installed (as in CI).
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { biasRMS, decodeSafetensors, scion, spectral, unconstrainedScion, type SafetensorsTensor } from '@lmo/core';
import { describe, expect, it } from 'vitest';
import { createOnnxTrainer, exportSafetensors, loadOnnxModel, type Feeds, type TrainableSpec } from '../../src/index.js';

const PYTHON = '/usr/bin/python3';
const hasTorch = spawnSync(PYTHON, ['-c', 'import torch, numpy'], { stdio: 'ignore' }).status === 0;
const script = fileURLToPath(new URL('./torch_roundtrip.py', import.meta.url));

function python(command: 'pretrain' | 'check' | 'folded', kind: Case['kind'], dir: string): string {
  return execFileSync(PYTHON, [script, command, kind, dir], { env: { ...process.env, OMP_WAIT_POLICY: 'PASSIVE' }, stdio: ['ignore', 'pipe', 'ignore'], encoding: 'utf8' });
}

const read = (dir: string, file: string) => decodeSafetensors(new Uint8Array(readFileSync(join(dir, file)))).tensors;
const bits = (t: SafetensorsTensor | Float32Array) => new Uint32Array(new Float32Array(t instanceof Float32Array ? t : (t.data as Float32Array)).buffer);

interface Case {
  readonly kind: 'mlp' | 'gpt' | 'gpt-merged';
  readonly trainable: TrainableSpec;
  /** The initializers that train. */
  readonly trained: string[];
  /** Keys written with another initializer's values (merged by the exporter), key → initializer. */
  readonly aliases?: Record<string, string>;
  /** State_dict keys not in the file. */
  readonly missing: string[];
}

const h1 = ['transformer.h.1.attn.c_attn.weight', 'transformer.h.1.attn.c_proj.weight', 'transformer.h.1.mlp.c_fc.weight', 'transformer.h.1.mlp.c_proj.weight'];
const cases: Case[] = [
  { kind: 'mlp', trainable: ['fc2.*', 'head.*'], trained: ['fc2.bias', 'fc2.weight', 'head.bias', 'head.weight'], missing: [] },
  {
    kind: 'gpt',
    trainable: ['transformer.h.1.*', 'transformer.ln_f.weight'],
    trained: [...h1, 'transformer.h.1.ln_1.weight', 'transformer.h.1.ln_2.weight', 'transformer.ln_f.weight'].sort(),
    missing: ['lm_head.weight'], // tied to transformer.wte.weight: one initializer
  },
  {
    kind: 'gpt-merged', // the five LayerNorm gains, all ones, are one initializer and four Identity nodes
    trainable: ['transformer.h.1.*', 'transformer.h.0.ln_1.weight'],
    trained: [...h1, 'transformer.h.0.ln_1.weight'].sort(),
    aliases: Object.fromEntries(['transformer.h.0.ln_2.weight', 'transformer.h.1.ln_1.weight', 'transformer.h.1.ln_2.weight', 'transformer.ln_f.weight'].map((k) => [k, 'transformer.h.0.ln_1.weight'])),
    missing: ['lm_head.weight'],
  },
];

describe.runIf(hasTorch)('a PyTorch-pretrained model fine-tuned by lmo goes back into its module', () => {
  for (const { kind, trainable, trained, aliases = {}, missing } of cases) {
    it(`${kind}: PyTorch's loss is lmo's, frozen tensors bit-identical, trained ones trainer.weights()`, async () => {
      const dir = mkdtempSync(join(tmpdir(), `lmo-roundtrip-${kind}-`));
      try {
        python('pretrain', kind, dir);
        const pretrained = read(dir, 'pretrained.safetensors');
        const batches = read(dir, 'batches.safetensors');
        const model = await loadOnnxModel(join(dir, 'model.onnx'));
        const trainer = await createOnnxTrainer(model, {
          trainable,
          loss: kind === 'mlp' ? { meanSquaredError: 'y' } : 'loss',
          optimizer: (params, backend) =>
            (kind === 'mlp' ? scion : unconstrainedScion)(backend, params, {
              lr: 2 ** -7,
              groups: [
                { match: { rank: [0, 1] }, norm: biasRMS(), scale: 1 },
                { norm: spectral(), scale: 3 },
              ],
            }),
        });
        const [a, b] = [batches.get('a')!, batches.get('b')!];
        const steps = a.shape[0]! - 1;
        const at = (t: SafetensorsTensor, s: number) => {
          const n = t.data.length / t.shape[0]!;
          return t.data.subarray(s * n, (s + 1) * n) as Float32Array | BigInt64Array;
        };
        const feeds = (s: number): Feeds => ({ [kind === 'mlp' ? 'x' : 'idx']: at(a, s), targets: at(b, s) });
        const before = await trainer.evaluate(feeds(steps));
        for (let s = 0; s < steps; s++) await trainer.step(feeds(s));
        const loss = await trainer.evaluate(feeds(steps));
        const weights = await trainer.weights();
        const bytes = await exportSafetensors(trainer, { stateDict: pretrained });
        await trainer.dispose();
        expect(loss).toBeLessThan(before); // the fine-tuning did something

        // The file: every initializer under its state_dict key; trained = trainer.weights(), frozen = pretrained.
        const file = decodeSafetensors(bytes).tensors;
        expect([...file.keys()].sort()).toEqual([...pretrained.keys()].filter((k) => !missing.includes(k)).sort());
        expect([...weights.keys()].sort()).toEqual(trained);
        for (const [key, t] of file) {
          expect(t.shape, key).toEqual(pretrained.get(key)!.shape);
          expect(bits(t), key).toEqual(bits(weights.get(aliases[key] ?? key) ?? pretrained.get(key)!));
        }
        writeFileSync(join(dir, 'finetuned.safetensors'), bytes);

        const report = JSON.parse(python('check', kind, dir)) as { missing: string[]; unexpected: string[]; loaded: boolean; changed: string[]; loss: number };
        expect(report.missing).toEqual(missing);
        expect(report.unexpected).toEqual([]);
        expect(report.loaded).toBe(true); // the module holds the file's values bit for bit
        expect(report.changed).toEqual([...trained, ...Object.keys(aliases)].sort()); // the module's other tensors are the pretrained ones, bit for bit
        expect(Math.abs(report.loss - loss) / loss).toBeLessThan(1e-5);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    }, 120_000);
  }

  it('gpt exported with constant folding: the made-up initializers are refused by name, a transposed one by its shape', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lmo-roundtrip-folded-'));
    try {
      python('folded', 'gpt', dir);
      const model = await loadOnnxModel(join(dir, 'folded.onnx'));
      const madeUp = model.initializers.map((t) => t.name).filter((n) => n.startsWith('onnx::'));
      expect(madeUp.length).toBeGreaterThan(0);
      const trainer = await createOnnxTrainer(model, { trainable: 'transformer.h.1.*', loss: 'loss', optimizer: (p, b) => unconstrainedScion(b, p, { lr: 0.01 }) });
      try {
        await expect(exportSafetensors(trainer)).rejects.toThrow(new RegExp(`^onnx training: exportSafetensors: initializer "${madeUp[0]}" \\[\\d+(, \\d+)*\\] has a name torch\\.onnx\\.export made up`));
        // The first transposed matrix is transformer.h.0.attn.c_attn.weight [96, 32], stored as its transpose [32, 96].
        const transposed = model.initializers.find((t) => t.name.startsWith('onnx::MatMul_'))!;
        expect(transposed.shape).toEqual([32, 96]);
        const stateDict = read(dir, 'pretrained.safetensors');
        await expect(exportSafetensors(trainer, { names: { [transposed.name]: 'transformer.h.0.attn.c_attn.weight' }, stateDict, frozen: false })).resolves.toBeInstanceOf(Uint8Array); // frozen: not written
        const others = Object.fromEntries(madeUp.filter((n) => n !== transposed.name).map((n) => [n, null]));
        await expect(exportSafetensors(trainer, { names: { ...others, [transposed.name]: 'transformer.h.0.attn.c_attn.weight' }, stateDict })).rejects.toThrow(
          /"transformer\.h\.0\.attn\.c_attn\.weight" \(initializer "onnx::MatMul_\d+"\) is \[32, 96\] but the state_dict's is \[96, 32\] \(a transposed weight: export with do_constant_folding=False\)$/,
        );
      } finally {
        await trainer.dispose();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);
});
