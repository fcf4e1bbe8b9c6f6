// The committed PyTorch fixtures are what scripts/torch-fixtures.py writes: regenerated into a
// temporary folder, every file is the same (skipped where python3 with torch is not installed, as in
// CI, or tiny shakespeare is not found: $LMO_DATA or ../shared/data beside the checkout).
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
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
  it('is the MLP fixture (the script writes both)', () => {
    const docsModel = fileURLToPath(new URL('../../../../docs/examples/models/mlp.onnx', import.meta.url));
    expect(readFileSync(docsModel).equals(readFileSync(torchFixture('mlp', 'model.onnx')))).toBe(true);
  });
});
