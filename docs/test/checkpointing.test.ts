import { LmoError, scion, sign } from '@lmo/core';
import { referenceBackend as backend } from '@lmo/core/reference';
import { describe, expect, it } from 'vitest';
import { loadOptimizer, saveOptimizer } from '../examples/checkpointing.js';
import { runExample } from './run-example.js';

describe('examples/checkpointing*.ts', () => {
  it('a restored optimizer continues exactly like the original', async () => {
    const { module, printed } = await runExample(() => import('../examples/checkpointing-usage.js'));
    expect(module.identical).toBe(true);
    expect(printed).toEqual(['resumed at step 1', 'the resumed optimizer took the same step']);
  });

  it('loading into a differently shaped optimizer raises STATE_MISMATCH', async () => {
    const a = scion(backend, { w: backend.fromArray(new Float32Array(12), [3, 4]) }, { lr: 0.1 });
    const b = scion(backend, { w: backend.fromArray(new Float32Array(12), [4, 3]) }, { lr: 0.1, norm: sign() });
    const saved = await saveOptimizer(a);
    await expect(loadOptimizer(b, saved)).rejects.toSatisfy((e: unknown) => e instanceof LmoError && e.code === 'STATE_MISMATCH');
  });
});

describe('examples/checkpoint-file.ts', () => {
  it('writes one checksummed file, resumes from it exactly, and refuses it with a bit flipped', async () => {
    const { module, printed } = await runExample(() => import('../examples/checkpoint-file.js'));
    expect(module.identical).toBe(true);
    expect(printed).toEqual([
      'resumed at step 5, losses [3.2,2.9]',
      'the resumed run took the same step',
      'INVALID_CHECKPOINT: invalid checkpoint: the data of tensor "state.fc.weight.gradient" does not match its checksum',
    ]);
  });
});

describe('examples/checkpoint-node.ts', () => {
  it('continues a run directory from its checkpoint, and leaves no lock or temporary file behind', async () => {
    const { module, printed } = await runExample(() => import('../examples/checkpoint-node.js'));
    expect(printed).toEqual(['steps 0→25, then 25→50']);
    const { mkdtempSync, readdirSync } = await import('node:fs');
    const { join } = await import('node:path');
    const { tmpdir } = await import('node:os');
    const dir = mkdtempSync(join(tmpdir(), 'docs-run-'));
    expect(module.train(dir, 12)).toEqual({ from: 0, to: 12 });
    expect(module.train(dir, 12)).toEqual({ from: 12, to: 12 });
    expect(module.train(dir, 30)).toEqual({ from: 12, to: 30 });
    expect(readdirSync(dir)).toEqual(['checkpoint.safetensors']);
  });
});

describe('docs/guide/checkpointing.md describes the state the code saves', () => {
  it('its JSON example has the version, fields and buffer names of stateToJSON(getState())', async () => {
    const { readFileSync } = await import('node:fs');
    const { STATE_VERSION, muon, stateToJSON } = await import('@lmo/core');
    const page = readFileSync(new URL('../guide/checkpointing.md', import.meta.url), 'utf8');
    const block = /```json\n([\s\S]*?)```/.exec(page)![1]!;
    const documented = JSON.parse(block) as { version: number; parameters: Array<Record<string, unknown> & { buffers: Record<string, unknown> }> };
    const opt = muon(backend, { 'hidden.weight': backend.fromArray(new Float32Array(4), [2, 2]), 'wte.weight': backend.fromArray(new Float32Array(6), [3, 2]) }, {
      lr: 0.1,
      groups: [{ name: 'hidden', match: 'hidden.*', norm: sign() }, { name: 'rest', adamw: {} }],
    });
    const saved = stateToJSON(opt.getState()) as typeof documented;
    expect(documented.version).toBe(STATE_VERSION);
    expect(Object.keys(documented).sort()).toEqual(Object.keys(saved).sort());
    documented.parameters.forEach((p, i) => {
      expect(Object.keys(p).sort()).toEqual(Object.keys(saved.parameters[i]!).sort());
      expect(Object.keys(p.buffers)).toEqual(Object.keys(saved.parameters[i]!.buffers));
    });
  });
});
