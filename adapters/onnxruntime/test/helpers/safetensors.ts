// Reads the safetensors files of the PyTorch fixtures (an 8-byte header length, a JSON header,
// little-endian buffers): F32 as Float32Array, I64 as BigInt64Array.
import { readFileSync } from 'node:fs';
import { torchFixture } from './fixtures.js';

export interface Stored {
  readonly shape: number[];
  readonly data: Float32Array | BigInt64Array;
}

export function readSafetensors(path: string): Map<string, Stored> {
  const bytes = readFileSync(path);
  const headerLength = Number(bytes.readBigUInt64LE(0));
  const header = JSON.parse(bytes.subarray(8, 8 + headerLength).toString('utf8')) as Record<string, { dtype: string; shape: number[]; data_offsets: [number, number] }>;
  const base = 8 + headerLength;
  const out = new Map<string, Stored>();
  for (const [name, { dtype, shape, data_offsets: [from, to] }] of Object.entries(header)) {
    if (name === '__metadata__') continue;
    const raw = bytes.subarray(base + from, base + to);
    const copy = new Uint8Array(raw); // aligned copy
    const data = dtype === 'F32' ? new Float32Array(copy.buffer) : dtype === 'I64' ? new BigInt64Array(copy.buffer) : undefined;
    if (data === undefined) throw new Error(`${path}: dtype ${dtype} of ${name} is not supported`);
    out.set(name, { shape, data });
  }
  return out;
}

/** The GPT fixture's committed batches: step `i`'s `idx` and `targets` (int64, `[B·T]` each). */
export function gptBatches(): (step: number) => { idx: BigInt64Array; targets: BigInt64Array } {
  const batches = readSafetensors(torchFixture('gpt', 'batches.safetensors'));
  const [, B, T] = batches.get('idx')!.shape as [number, number, number];
  const n = B * T;
  return (step) => ({
    idx: (batches.get('idx')!.data as BigInt64Array).subarray(step * n, (step + 1) * n),
    targets: (batches.get('targets')!.data as BigInt64Array).subarray(step * n, (step + 1) * n),
  });
}
