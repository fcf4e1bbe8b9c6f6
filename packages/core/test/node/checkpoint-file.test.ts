// Checkpoint files: written atomically, read back with every checksum checked, absent on a first start.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readCheckpointFile, writeCheckpointFile } from '../../src/node/index.js';
import { scion } from '../../src/optimizer/presets.js';
import { referenceBackend as b } from '../../src/reference/index.js';

describe('writeCheckpointFile / readCheckpointFile', () => {
  const dir = mkdtempSync(join(tmpdir(), 'lmo-checkpoint-file-'));
  const path = join(dir, 'checkpoint.safetensors');
  const params = { w: b.fromArray(Float32Array.of(1, -2, 3, 0.5, 2, -1), [2, 3]) };
  const optimizer = scion(b, params, { lr: 0.1 });
  optimizer.step({ w: b.fromArray(Float32Array.of(0.1, 0.2, -0.3, 0.4, -0.5, 0.6), [2, 3]) });

  it('undefined where there is no checkpoint yet', () => {
    expect(readCheckpointFile(join(dir, 'none.safetensors'))).toBeUndefined();
  });

  it('reads back what it wrote: the weights, the state and the metadata', () => {
    const weights = { w: b.read(params.w) as Float32Array };
    writeCheckpointFile(path, { weights, state: optimizer.getState(), metadata: { step: 1 } });
    const back = readCheckpointFile(path)!;
    expect([...back.weights.get('w')!]).toEqual([...weights.w]);
    expect(back.metadata).toEqual({ step: 1 });
    const resumed = scion(b, { w: b.fromArray(weights.w, [2, 3]) }, { lr: 0.1 });
    resumed.loadState(back.state);
    expect(resumed.stepCount).toBe(1);
  });

  it('a damaged file: INVALID_CHECKPOINT naming the file and what is damaged', () => {
    const bytes = readFileSync(path);
    bytes[bytes.length - 1]! ^= 1;
    const damaged = join(dir, 'damaged.safetensors');
    writeFileSync(damaged, bytes);
    expect(() => readCheckpointFile(damaged)).toThrow(expect.objectContaining({ code: 'INVALID_CHECKPOINT', message: expect.stringMatching(new RegExp(`^${damaged}: .*does not match its checksum`)) }));
  });
});
