// The checkpoint file: @lmo/core's checkpoint (safetensors with checksums over every tensor and every
// part) with the run and its record as metadata parts. Any change to a file is refused, naming what
// disagrees; sizes stay close to the raw tensor bytes; the formats the benchmark wrote before are refused.
import { decodeCheckpoint, decodeSafetensors, encodeSafetensors, LmoError, Random, type SafetensorsTensor } from '@lmo/core';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { CPU_CONFIG } from '@lmo/gpt';
import { encodeCheckpoint, loadCheckpoint, type Checkpoint } from '../src/run/checkpoint.js';
import { encodeVersion1, trainedCheckpoint } from './helpers/checkpoints.js';

const dir = mkdtempSync(join(tmpdir(), 'nanogpt-ckfile-'));
const TINY = { nLayer: 1, nHead: 1, nEmbd: 8, blockSize: 4 };
const SMALL = { nLayer: 2, nHead: 2, nEmbd: 16, blockSize: 8 };
let n = 0;
/** Writes `bytes` as a checkpoint file; returns its path. */
const file = (bytes: Uint8Array | string): string => {
  const path = join(dir, `ck-${n++}.safetensors`);
  writeFileSync(path, bytes);
  return path;
};
const refusal = (bytes: Uint8Array): string => {
  try {
    loadCheckpoint(file(bytes));
  } catch (e) {
    return (e as Error).message;
  }
  return 'accepted';
};
const hex = (a: Float32Array): string => Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString('hex');

describe('the format', () => {
  it.each(['uscion-tuned', 'adamw', 'scionlight'] as const)('%s: everything comes back exactly (weights, optimizer state, record)', async (opt) => {
    const c = await trainedCheckpoint(opt, SMALL);
    const back = loadCheckpoint(file(encodeCheckpoint(c)))!;
    const { weights, optimizer_state, ...rest } = c;
    expect(back).toMatchObject(rest);
    expect(Object.keys(back.weights).sort()).toEqual(Object.keys(weights).sort());
    for (const [name, w] of Object.entries(weights)) expect(hex(back.weights[name]!), name).toBe(hex(w));
    expect(back.optimizer_state).toEqual(optimizer_state);
  });

  it('float32 values keep their bits: -0, the smallest subnormal, the largest float, NaN', async () => {
    const c = await trainedCheckpoint('uscion-tuned', TINY);
    const w = c.weights['transformer.ln_f.weight']!;
    w.set([0.1, -0, Number.MIN_VALUE, 3.4e38, Number.NaN, 1 / 3]);
    expect(hex(loadCheckpoint(file(encodeCheckpoint(c)))!.weights['transformer.ln_f.weight']!)).toBe(hex(w));
  });

  it('is safetensors: weights under their PyTorch names and shapes, optimizer buffers under state.…, the rest in the metadata', async () => {
    const c = await trainedCheckpoint('uscion-tuned', SMALL);
    const st = decodeSafetensors(encodeCheckpoint(c));
    const v = c.config.vocabSize;
    expect(st.tensors.get('transformer.wte.weight')).toMatchObject({ dtype: 'F32', shape: [v, 16] });
    expect(st.tensors.get('transformer.h.1.attn.c_attn.weight')).toMatchObject({ dtype: 'F32', shape: [48, 16] });
    expect(st.tensors.get('state.transformer.h.1.attn.c_attn.weight.momentum')).toMatchObject({ dtype: 'F32', shape: [48, 16] });
    expect([...st.tensors.keys()].every((k) => k.startsWith('transformer.') || k.startsWith('state.'))).toBe(true);
    expect(Object.keys(st.metadata).sort()).toEqual(['checksum', 'format', 'record', 'run', 'sha256', 'state', 'version']);
    expect(st.metadata).toMatchObject({ format: 'lmo-checkpoint', version: '1' });
    expect(JSON.parse(st.metadata['run']!)).toMatchObject({ optimizer: 'uscion-tuned', backend: 'reference', config: c.config, data: c.data });
    expect(JSON.parse(st.metadata['record']!)).toMatchObject({ step: 2, finished: false });
  });

  it('AdamW\'s moments are state.<name>.exp_avg and ….exp_avg_sq, shaped as their parameters', async () => {
    const st = decodeSafetensors(encodeCheckpoint(await trainedCheckpoint('adamw', SMALL)));
    expect(st.tensors.get('state.transformer.h.0.mlp.c_fc.weight.exp_avg')).toMatchObject({ shape: [64, 16] });
    expect(st.tensors.get('state.transformer.h.0.mlp.c_fc.weight.exp_avg_sq')).toMatchObject({ shape: [64, 16] });
  });

  it('the default model\'s checkpoint is at most 1.1× its raw tensor bytes (the JSON format of before was several times that)', async () => {
    const c = await trainedCheckpoint('uscion-tuned', CPU_CONFIG, 1, 1);
    const bytes = encodeCheckpoint(c);
    const st = decodeSafetensors(bytes);
    const raw = [...st.tensors.values()].reduce((s, t) => s + t.data.byteLength, 0);
    expect(raw).toBeGreaterThan(6e6); // 0.8M weights and as many momentum values, 4 bytes each
    expect(bytes.length / raw).toBeLessThanOrEqual(1.1);
    expect(Buffer.byteLength(encodeVersion1(c)) / bytes.length).toBeGreaterThan(3);
  }, 60_000);
});

describe('a changed file is refused, naming what disagrees', () => {
  let good: Checkpoint;
  let bytes: Uint8Array;
  beforeAll(async () => {
    good = await trainedCheckpoint('uscion-tuned', SMALL, 3);
    bytes = encodeCheckpoint(good);
  });
  /** The file with its safetensors parts edited and written back, its checksums as they were. */
  const edited = (edit: (tensors: Map<string, SafetensorsTensor>, meta: Record<string, string>) => void): Uint8Array => {
    const st = decodeSafetensors(bytes.slice());
    const tensors = new Map([...st.tensors].map(([k, t]) => [k, { ...t, data: t.data.slice() } as SafetensorsTensor]));
    const meta = { ...st.metadata };
    edit(tensors, meta);
    return encodeSafetensors(tensors, meta);
  };
  const json = (meta: Record<string, string>, key: string, f: (v: Record<string, unknown>) => void): void => {
    const v = JSON.parse(meta[key]!) as Record<string, unknown>;
    f(v);
    meta[key] = JSON.stringify(v);
  };
  const WTE = 'transformer.wte.weight';
  const MOMENTUM = 'state.transformer.h.0.attn.c_attn.weight.momentum';

  it('the file as written is accepted', () => {
    expect(refusal(bytes)).toBe('accepted');
  });

  it.each([
    ['one flipped bit in a weight', (t: Map<string, SafetensorsTensor>): void => void (new Uint8Array(t.get(WTE)!.data.buffer, t.get(WTE)!.data.byteOffset)[5]! ^= 0x10), /the data of tensor "transformer\.wte\.weight" does not match its checksum/],
    ['one changed byte in a weight', (t: Map<string, SafetensorsTensor>): void => void (new Uint8Array(t.get(WTE)!.data.buffer, t.get(WTE)!.data.byteOffset)[0] = 0x41), /the data of tensor "transformer\.wte\.weight" does not match its checksum/],
    ['a changed momentum value', (t: Map<string, SafetensorsTensor>): void => void ((t.get(MOMENTUM)!.data as Float32Array)[3]! *= 1.0001), new RegExp(`the data of tensor "${MOMENTUM.replace(/\./g, '\\.')}" does not match its checksum`)],
  ] as const)('%s', (_what, edit, message) => {
    expect(refusal(edited((t) => edit(t)))).toMatch(message);
  });

  it.each([
    ['step + 1', 'record', (r: Record<string, unknown>): unknown => (r['step'] = (r['step'] as number) + 1), /its metadata part "record" does not match its checksum/],
    ['an edited past loss', 'record', (r: Record<string, unknown>): unknown => ((r['evals'] as Array<{ val_loss: number }>)[0]!.val_loss -= 0.5), /its metadata part "record" does not match its checksum/],
    ['"finished": true on a mid-run file', 'record', (r: Record<string, unknown>): unknown => (r['finished'] = true), /its metadata part "record" does not match its checksum/],
    ['the optimizer\'s step ≠ the checkpoint\'s', 'state', (s: Record<string, unknown>): unknown => (s['step'] = (s['step'] as number) + 1), /its metadata part "state" does not match its checksum/],
    ['an lr edited in the run', 'run', (s: Record<string, unknown>): unknown => (s['lr'] = 0.01), /its metadata part "run" does not match its checksum/],
  ] as const)('%s', (_what, key, edit, message) => {
    expect(refusal(edited((_t, meta) => json(meta, key, edit)))).toMatch(message);
  });

  it.each([
    ['a tensor\'s shape', (t: Map<string, SafetensorsTensor>): unknown => t.set(WTE, { ...t.get(WTE)!, shape: [...t.get(WTE)!.shape].reverse() } as SafetensorsTensor), /its header .* does not match its checksum/],
    ['a tensor dropped', (t: Map<string, SafetensorsTensor>): unknown => t.delete('transformer.ln_f.weight'), /its header .* does not match its checksum/],
  ] as const)('%s', (_what, edit, message) => {
    expect(refusal(edited((t) => void edit(t)))).toMatch(message);
  });

  it('single-bit flips are all refused: every bit of the first 512 bytes, a bit of every other header byte, 3000 random bits of the data', async () => {
    // A tiny model, so that the sample covers much of the file (every one of its 116,288 bits
    // was flipped once by hand: none was accepted).
    const tiny = encodeCheckpoint(await trainedCheckpoint('uscion-tuned', TINY));
    const headerEnd = 8 + Number(new DataView(tiny.buffer, tiny.byteOffset).getBigUint64(0, true));
    const rng = new Random(23);
    const bits = [
      ...Array(512 * 8).keys(),
      ...Array.from({ length: headerEnd - 512 }, (_, i) => (512 + i) * 8 + rng.int(8)),
      ...Array.from({ length: 3000 }, () => headerEnd * 8 + rng.int((tiny.length - headerEnd) * 8)),
    ];
    const accepted = bits.filter((bit) => {
      const b = tiny.slice();
      b[bit >> 3]! ^= 1 << (bit & 7);
      try {
        decodeCheckpoint(b);
        return true;
      } catch (e) {
        if (!(e instanceof LmoError) || e.code !== 'INVALID_CHECKPOINT') throw e;
        return false;
      }
    });
    expect(bits.length).toBeGreaterThan(13_000);
    expect(accepted).toEqual([]);
  }, 60_000);
});

describe('the formats before core\'s checkpoints', () => {
  it('a JSON checkpoint beside the safetensors path is refused, naming it', async () => {
    const c = await trainedCheckpoint('uscion-tuned', TINY);
    const path = join(mkdtempSync(join(tmpdir(), 'nanogpt-json-')), 'checkpoint-uscion-tuned.safetensors');
    writeFileSync(path.replace(/\.safetensors$/, '.json'), encodeVersion1(c));
    expect(() => loadCheckpoint(path)).toThrow(/checkpoint .*checkpoint-uscion-tuned\.json is JSON, a format this nanogpt no longer reads/);
  });

  it('the benchmark\'s own safetensors layout (lmo-nanogpt-checkpoint) is refused as another format', () => {
    expect(refusal(readFileSync(join(import.meta.dirname, 'fixtures', 'checkpoint-v2-uscion-tuned.safetensors')))).toMatch(/is damaged: its format is "lmo-nanogpt-checkpoint", not "lmo-checkpoint"$/);
  });
});
