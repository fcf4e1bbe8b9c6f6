import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { Random } from '@lmo/core';
import { paramSpecs, ReferenceModel, sizeOf, type GPTConfig, initParams } from '@lmo/gpt';
import { parseSideRecords } from '../src/bench/side-records.js';
import { runTorchScript } from '../src/bench/torch-python.js';

// The PyTorch side, where /usr/bin/python3 has torch (skipped elsewhere, e.g. in CI).
const PYTHON = '/usr/bin/python3';
const torchDir = fileURLToPath(new URL('../torch', import.meta.url));
const hasTorch = spawnSync(PYTHON, ['-c', 'import torch'], { stdio: 'ignore' }).status === 0;

describe.skipIf(!hasTorch)('the PyTorch side (needs python3-torch)', () => {
  it("its own checks pass (python3 -m unittest: loss at init, Newton–Schulz, scion.py's norms and steps, AdamW's groups, the schedules, the handoff bundle)", () => {
    const r = spawnSync(PYTHON, ['-m', 'unittest', 'discover', '-s', torchDir, '-p', 'test_*.py'], { encoding: 'utf8' });
    expect(r.stderr).toMatch(/\nOK\s*$/);
    expect(r.status).toBe(0);
  });

  it("is the same GPT: loss and every gradient equal the reference backend's for the same weights and batch", async () => {
    const cfg: GPTConfig = { vocabSize: 11, blockSize: 8, nLayer: 2, nHead: 2, nEmbd: 16 };
    const B = 3;
    // nanoGPT's init scaled up (and gains away from 1), so that activations are O(1) and the
    // nonlinearities (exact-erf GELU, softmax, LayerNorm) are exercised beyond their linear range.
    const rng = new Random(9);
    const init = new Map(
      [...initParams(cfg, 5)].map(([k, v]) => [k, k.includes('ln') ? v.map(() => 1 + 0.5 * rng.normal()) : v.map((w) => 25 * w)] as const),
    );
    const x = Int32Array.from({ length: B * cfg.blockSize }, () => rng.int(cfg.vocabSize));
    const y = Int32Array.from({ length: B * cfg.blockSize }, () => rng.int(cfg.vocabSize));
    const specs = paramSpecs(cfg);

    const dir = mkdtempSync(join(tmpdir(), 'nanogpt-torch-parity-'));
    const flat = new Float32Array(specs.reduce((n, s) => n + sizeOf(s.shape), 0));
    let at = 0;
    for (const s of specs) {
      flat.set(init.get(s.name)!, at);
      at += sizeOf(s.shape);
    }
    writeFileSync(join(dir, 'params.bin'), new Uint8Array(flat.buffer));
    const config = { vocab_size: cfg.vocabSize, block_size: cfg.blockSize, n_layer: cfg.nLayer, n_head: cfg.nHead, n_embd: cfg.nEmbd };
    writeFileSync(join(dir, 'case.json'), JSON.stringify({ config, params: specs.map((s) => [s.name, s.shape]), x: [...x], y: [...y], batch: B }));
    const r = spawnSync(PYTHON, [join(torchDir, 'parity.py'), dir], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    const torchLoss = (JSON.parse(r.stdout) as { loss: number }).loss;
    const buf = readFileSync(join(dir, 'grads.bin'));
    const torchGrads = new Float32Array(buf.buffer, buf.byteOffset, buf.byteLength / 4);

    const ref = new ReferenceModel(cfg);
    const params = ref.createParams(init);
    const out = await ref.lossAndGrads(params, { x, y, batchSize: B, blockSize: cfg.blockSize });
    expect(Math.abs(out.loss - torchLoss)).toBeLessThan(1e-5);
    at = 0;
    for (const s of specs) {
      const g = ref.tensors.read(out.grads.get(s.name)!);
      const t = torchGrads.subarray(at, at + g.length);
      at += g.length;
      let err = 0;
      let scale = 0;
      for (let i = 0; i < g.length; i++) {
        err = Math.max(err, Math.abs(g[i]! - t[i]!));
        scale = Math.max(scale, Math.abs(g[i]!));
      }
      expect(err / scale, s.name).toBeLessThan(1e-4);
    }
    expect(at).toBe(torchGrads.length);
  });

  it('the timing script prints every part and the GEMM rates as records', async () => {
    const args = ['--iters', '2', '--warmup', '0', '--n-layer', '1', '--n-embd', '32', '--n-head', '2', '--block-size', '16', '--batch-size', '2', '--threads', '1'];
    const r = await runTorchScript(PYTHON, args);
    if (!r.ok) throw new Error(r.reason);
    const kinds = r.records.map((x) => (x.kind === 'part' ? `${x.part}:${x.optimizer ?? ''}:${x.ns_dtype ?? ''}` : x.kind === 'gemm' ? `gemm:${String(x.shape)}` : x.kind));
    expect(kinds).toEqual([
      'env',
      'fwd_bwd::',
      'step:adamw:',
      'step:scion:bf16',
      'step:scion:fp32',
      'iteration:adamw:',
      'iteration:scion:bf16',
      'iteration:scion:fp32',
      'gemm:96,32',
      'gemm:32,32',
      'gemm:128,32',
      'gemm:32,128',
      'gemm:all',
      'memory',
    ]);
    const env = r.records[0]!;
    expect(env).toMatchObject({ kind: 'env', threads: 1, blas: expect.any(String) });
    // 1 layer, m = 32: 5 steps of 4·32²·n + 2·32³ for n = 96, 32, 128, 128
    const perStep = (n: number): number => 4 * 32 * 32 * n + 2 * 32 ** 3;
    const all = r.records.find((x) => x.kind === 'gemm' && x.shape === 'all');
    expect(all).toMatchObject({ count: 4, gflop: expect.closeTo((5 * (perStep(96) + perStep(32) + 2 * perStep(128))) / 1e9, 12) });
    expect(parseSideRecords(r.records.map((x) => JSON.stringify(x)).join('\n'), 'records')).toHaveLength(r.records.length);
  });
});
