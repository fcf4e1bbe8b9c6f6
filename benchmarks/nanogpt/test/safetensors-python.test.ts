import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { Random, decodeSafetensors, encodeSafetensors, toBfloat16Bits, toFloat16Bits, type SafetensorsTensor } from '@lmo/core';

// safetensors between @lmo/core and the PyTorch side's numpy reader and writer (torch/safetensors_io.py),
// where /usr/bin/python3 has torch (skipped elsewhere, e.g. in CI).
const PYTHON = '/usr/bin/python3';
const torchDir = fileURLToPath(new URL('../torch', import.meta.url));
const hasTorch = spawnSync(PYTHON, ['-c', 'import torch'], { stdio: 'ignore' }).status === 0;

function python(code: string, ...args: string[]): void {
  const r = spawnSync(PYTHON, ['-c', code, ...args], { cwd: torchDir, encoding: 'utf8', env: { ...process.env, OMP_WAIT_POLICY: 'PASSIVE' } });
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
}

/** float32 values with the cases that matter: ±0, ±Inf, NaN, subnormals, ties, overflow for float16, and random ones. */
function floats(n: number): Float32Array {
  const rng = new Random(3);
  const special = [0, -0, Infinity, -Infinity, NaN, 1, -1, 65504, 65520, 1e5, 2 ** -24, 2 ** -25, 3 * 2 ** -25, 2 ** -140, 1 + 2 ** -8, 1 + 2 ** -11, 3.4e38];
  return Float32Array.from({ length: n }, (_, i) => special[i] ?? rng.normal() * 10 ** (rng.int(9) - 4));
}

function bytesOf(t: SafetensorsTensor): number[] {
  return Array.from(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength));
}

describe.skipIf(!hasTorch)('safetensors with the PyTorch side (needs python3-torch)', () => {
  it('JS writes, Python reads into torch tensors and rewrites: the same bytes come back', () => {
    const w = floats(48);
    const tensors = new Map<string, SafetensorsTensor>([
      ['transformer.h.0.attn.c_attn.weight', { dtype: 'F32', shape: [6, 8], data: w }],
      ['transformer.wte.weight', { dtype: 'BF16', shape: [8, 6], data: toBfloat16Bits(w) }],
      ['transformer.ln_f.weight', { dtype: 'F16', shape: [2, 4, 6], data: toFloat16Bits(w) }],
      ['step', { dtype: 'I64', shape: [], data: BigInt64Array.of(200n) }],
      ['x', { dtype: 'I32', shape: [3], data: Int32Array.of(-1, 0, 2 ** 31 - 1) }],
      ['i16', { dtype: 'I16', shape: [2], data: Int16Array.of(-32768, 7) }],
      ['i8', { dtype: 'I8', shape: [1], data: Int8Array.of(-5) }],
      ['u8', { dtype: 'U8', shape: [2, 0], data: new Uint8Array(0) }],
      ['mask', { dtype: 'BOOL', shape: [2], data: Uint8Array.of(1, 0) }],
      ['d', { dtype: 'F64', shape: [2], data: Float64Array.of(Math.PI, -0) }],
      ['\u00e9t\u00e9 "quoted"\n', { dtype: 'F32', shape: [1], data: Float32Array.of(2) }],
    ]);
    const bytes = encodeSafetensors(tensors, { format: 'pt', step: '200', note: 'ünïcode\t"' });
    const dir = mkdtempSync(join(tmpdir(), 'lmo-safetensors-'));
    writeFileSync(join(dir, 'js.safetensors'), bytes);
    python(
      [
        'import sys, torch',
        'from safetensors_io import load_file, load_metadata, save_file',
        'src, out = sys.argv[1:]',
        'tensors = load_file(src)',
        'assert tensors["transformer.wte.weight"].dtype == torch.bfloat16 and tensors["transformer.ln_f.weight"].dtype == torch.float16',
        'assert tensors["step"].item() == 200 and tuple(tensors["transformer.h.0.attn.c_attn.weight"].shape) == (6, 8)',
        'save_file(tensors, out, load_metadata(src))',
      ].join('\n'),
      join(dir, 'js.safetensors'),
      join(dir, 'py.safetensors'),
    );
    const back = readFileSync(join(dir, 'py.safetensors'));
    expect(Buffer.compare(back, bytes)).toBe(0);
    const file = decodeSafetensors(back);
    expect(file.metadata).toEqual({ format: 'pt', step: '200', note: 'ünïcode\t"' });
    for (const [name, t] of tensors) expect(bytesOf(file.tensors.get(name)!), name).toEqual(bytesOf(t));
  });

  it("Python writes float32, float16 and bfloat16 (torch's own rounding): JS reads each, bit for bit", () => {
    const x = floats(4096);
    const dir = mkdtempSync(join(tmpdir(), 'lmo-safetensors-'));
    writeFileSync(join(dir, 'x.safetensors'), encodeSafetensors({ x: { dtype: 'F32', shape: [64, 64], data: x } }));
    python(
      [
        'import sys, torch',
        'from safetensors_io import load_file, save_file',
        'x = load_file(sys.argv[1])["x"]',
        'save_file({"f32": x, "f16": x.to(torch.float16), "bf16": x.to(torch.bfloat16)}, sys.argv[2], {"framework": "torch"})',
      ].join('\n'),
      join(dir, 'x.safetensors'),
      join(dir, 'py.safetensors'),
    );
    const { tensors, metadata } = decodeSafetensors(readFileSync(join(dir, 'py.safetensors')));
    expect(metadata).toEqual({ framework: 'torch' });
    expect([...tensors.keys()]).toEqual(['f32', 'bf16', 'f16']);
    const f32 = tensors.get('f32')!;
    const f16 = tensors.get('f16')!;
    const bf16 = tensors.get('bf16')!;
    expect([f32.dtype, f16.dtype, bf16.dtype]).toEqual(['F32', 'F16', 'BF16']);
    for (const t of [f32, f16, bf16]) expect(t.shape).toEqual([64, 64]);
    expect(bytesOf(f32)).toEqual(Array.from(new Uint8Array(x.buffer)));
    // NaN payloads may differ between implementations (torch writes its canonical NaN): compare NaN as NaN.
    const nanAsOne = (bits: Uint16Array, exponent: number): number[] => Array.from(bits, (b) => ((b & exponent) === exponent && (b & ~exponent & 0x7fff) !== 0 ? -1 : b));
    expect(nanAsOne(f16.data as Uint16Array, 0x7c00)).toEqual(nanAsOne(toFloat16Bits(x), 0x7c00));
    expect(nanAsOne(bf16.data as Uint16Array, 0x7f80)).toEqual(nanAsOne(toBfloat16Bits(x), 0x7f80));
  });
});
