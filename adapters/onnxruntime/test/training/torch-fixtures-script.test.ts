// The committed PyTorch fixtures are what scripts/torch-fixtures.py writes: regenerated into a
// temporary folder, every file is the same (skipped where python3 with torch is not installed, as in
// CI, or tiny shakespeare is not found: $LMO_DATA or ../shared/data beside the checkout).
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { decodeSafetensors } from '@lmo/core';
import { describe, expect, it } from 'vitest';
import { loadOnnxModel } from '../../src/index.js';
import { floatValues } from '../../src/onnx/tensor-data.js';
import { torchFixture } from '../helpers/fixtures.js';

const PYTHON = '/usr/bin/python3';
const hasTorch = spawnSync(PYTHON, ['-c', 'import torch, numpy'], { stdio: 'ignore' }).status === 0;
const script = fileURLToPath(new URL('../../scripts/torch-fixtures.py', import.meta.url));
const corpus = process.env['LMO_DATA'] ?? fileURLToPath(new URL('../../../../../shared/data/tinyshakespeare.txt', import.meta.url));

describe.runIf(hasTorch && existsSync(corpus))('scripts/torch-fixtures.py', () => {
  it('regenerates the committed fixtures byte for byte', () => {
    const out = mkdtempSync(join(tmpdir(), 'lmo-fixtures-'));
    try {
      execFileSync(PYTHON, [script, out], { env: { ...process.env, OMP_WAIT_POLICY: 'PASSIVE' }, stdio: ['ignore', 'ignore', 'ignore'] });
      for (const name of ['mlp', 'cnn', 'gpt']) {
        for (const file of readdirSync(join(out, name))) {
          expect(readFileSync(join(out, name, file)).equals(readFileSync(torchFixture(name, file))), `${name}/${file}`).toBe(true);
        }
      }
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  }, 120_000);
});

describe("the docs' example model", () => {
  const docsModel = fileURLToPath(new URL('../../../../docs/examples/models/mlp.onnx', import.meta.url));

  it('is the MLP fixture (the script writes both)', () => {
    expect(readFileSync(docsModel).equals(readFileSync(torchFixture('mlp', 'model.onnx')))).toBe(true);
  });

  it("comes with the state_dict it was exported from: every initializer, bit for bit, under its key", async () => {
    const stateDict = decodeSafetensors(new Uint8Array(readFileSync(docsModel.replace(/\.onnx$/, '.safetensors')))).tensors;
    const { graph } = await loadOnnxModel(docsModel);
    expect([...stateDict.keys()].sort()).toEqual([...graph.initializers.keys()].sort());
    for (const [name, t] of graph.initializers) {
      const stored = stateDict.get(name)!;
      expect(stored.shape, name).toEqual(t.dims);
      expect(new Uint32Array(new Float32Array(stored.data as Float32Array).buffer), name).toEqual(new Uint32Array(floatValues(t).buffer));
    }
  });
});
