/**
 * The checkpoint file: its layout against a file written out by hand (SHA-256 from node:crypto),
 * round trips that resume an optimizer bit for bit (Scion in float32 and with bfloat16 buffers,
 * ScionLight, AdamW), every kind of damage refused by name, and what cannot be written.
 */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { LmoError } from '../src/errors.js';
import { adamw, decodeCheckpoint, decodeSafetensors, encodeCheckpoint, encodeSafetensors, scion, scionLight, toBfloat16Bits, type OptimizerState, type SafetensorsTensor } from '../src/index.js';
import type { LmoOptimizer } from '../src/optimizer/optimizer.js';
import { Random } from '../src/random.js';
import { ref } from './helpers/backend.js';

const sha = (data: Uint8Array | string): string => createHash('sha256').update(data).digest('hex');
const bytesOf = (a: ArrayBufferView): Uint8Array => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
const SHAPES: Record<string, number[]> = { 'h.0.weight': [4, 3], 'h.0.bias': [4], 'head.weight': [2, 4] };

function randomArrays(seed: number): Map<string, Float32Array> {
  const rng = new Random(seed);
  return new Map(Object.entries(SHAPES).map(([k, s]) => [k, Float32Array.from({ length: s.reduce((a, d) => a * d, 1) }, () => rng.normal())]));
}
const tensors = (arrays: Map<string, Float32Array>) => new Map([...arrays].map(([k, v]) => [k, ref.fromArray(v.slice(), SHAPES[k]!)]));
type Make = (params: ReturnType<typeof tensors>) => LmoOptimizer<unknown, 'sync'>;

const OPTIMIZERS: Record<string, Make> = {
  'Scion (float32)': (p) => scion(ref, p, { lr: 0.01 }) as never,
  'Scion (bfloat16 momentum)': (p) => scion(ref, p, { lr: 0.01, bufferDtype: 'bfloat16' }) as never,
  ScionLight: (p) => scionLight(ref, p, { lr: 0.01 }) as never,
  AdamW: (p) => adamw(ref, p, { lr: 0.01 }) as never,
};

/** Two steps of `make`'s optimizer: its parameters and the optimizer. */
function trained(make: Make): { params: ReturnType<typeof tensors>; opt: LmoOptimizer<unknown, 'sync'> } {
  const params = tensors(randomArrays(1));
  const opt = make(params);
  for (const seed of [2, 3]) opt.step(tensors(randomArrays(seed)));
  return { params, opt };
}
const weightsOf = (params: ReturnType<typeof tensors>) => new Map([...params].map(([k, p]) => [k, (ref.read(p) as Float32Array).slice()]));

function refusal(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(LmoError);
    expect((e as LmoError).code).toBe('INVALID_CHECKPOINT');
    expect((e as LmoError).message).not.toContain('\n');
    return (e as LmoError).message;
  }
  throw new Error('expected a refusal');
}

describe('the checkpoint layout', () => {
  const w = Float32Array.from([1, -2, 3.5, 0, -0, 7]);
  const b = Float32Array.from([0.25, -0.5]);
  const m = Float32Array.from([0.5, 1, -1.5, 2, 0, 0.125]);
  const state: OptimizerState = { format: 'lmo-optimizer-state', version: 3, step: 4, skippedSteps: 0, parameters: [{ name: 'w', shape: [2, 3], group: 'hidden', buffers: { momentum: m }, dtypes: { momentum: 'bfloat16' } }, { name: 'b', shape: [2], group: 'bias' }] };

  /** The file written out by hand from the format's description. */
  function byHand(): Uint8Array {
    const stateText = JSON.stringify({ ...state, parameters: [{ ...state.parameters[0], buffers: { momentum: 'state.w.momentum' } }, state.parameters[1]] });
    const runText = JSON.stringify({ lr: 0.01 });
    const fileTensors = new Map<string, SafetensorsTensor>([
      ['w', { dtype: 'F32', shape: [2, 3], data: w }],
      ['b', { dtype: 'F32', shape: [2], data: b }],
      ['state.w.momentum', { dtype: 'BF16', shape: [2, 3], data: toBfloat16Bits(m) }],
    ]);
    const sums = JSON.stringify({ metadata: { state: sha(stateText), run: sha(runText) }, tensors: Object.fromEntries([...fileTensors].map(([k, t]) => [k, sha(bytesOf(t.data))])) });
    const table = [['b', 'F32', [2]], ['state.w.momentum', 'BF16', [2, 3]], ['w', 'F32', [2, 3]]];
    const meta = { format: 'lmo-checkpoint', version: '1', state: stateText, run: runText, sha256: sums, checksum: sha(JSON.stringify(['lmo-checkpoint', '1', sums, table])) };
    return encodeSafetensors(fileTensors, meta);
  }

  it('reads the file written by hand', () => {
    const out = decodeCheckpoint(byHand());
    expect([...out.weights.keys()].sort()).toEqual(['b', 'w']);
    expect(Object.is(out.weights.get('w')![4], -0)).toBe(true);
    expect(out.weights.get('w')).toEqual(w);
    expect(out.weights.get('b')).toEqual(b);
    expect(out.metadata).toEqual({ run: { lr: 0.01 } });
    expect(out.state).toEqual(state);
  });

  it('writes exactly the file written by hand', () => {
    const written = encodeCheckpoint({ weights: { w, b }, state, metadata: { run: { lr: 0.01 } } });
    expect(Buffer.from(written).equals(Buffer.from(byHand()))).toBe(true);
  });
});

describe('round trips', () => {
  for (const [label, make] of Object.entries(OPTIMIZERS)) {
    it(`${label}: the decoded checkpoint resumes the optimizer bit for bit`, () => {
      const { params, opt } = trained(make);
      const state = opt.getState() as OptimizerState;
      const metadata = { run: { seed: 1, label }, record: { step: 2, losses: [3.5, 3.25] } };
      const bytes = encodeCheckpoint({ weights: weightsOf(params), state, metadata });
      const out = decodeCheckpoint(bytes);
      expect(out.metadata).toEqual(metadata);
      expect(out.state).toEqual(state);
      const resumedParams = tensors(out.weights);
      const resumed = make(resumedParams);
      resumed.loadState(out.state);
      const next = randomArrays(4);
      opt.step(tensors(next));
      resumed.step(tensors(next));
      for (const [k, p] of params) expect(ref.read(resumedParams.get(k)!)).toEqual(ref.read(p));
      expect(resumed.getState()).toEqual(opt.getState());
    });
  }

  it('keeps 16-bit buffers in 16 bits', () => {
    const sizes = (make: Make) => {
      const { params, opt } = trained(make);
      const file = decodeSafetensors(encodeCheckpoint({ weights: weightsOf(params), state: opt.getState() as OptimizerState }));
      return [...file.tensors].filter(([k]) => k.startsWith('state.')).map(([k, t]) => [k, t.dtype, t.data.byteLength]);
    };
    const wide = sizes(OPTIMIZERS['Scion (float32)']!);
    const narrow = sizes(OPTIMIZERS['Scion (bfloat16 momentum)']!);
    expect(wide.length).toBeGreaterThan(0);
    expect(narrow).toEqual(wide.map(([k, , n]) => [k, 'BF16', (n as number) / 2]));
  });

  it('gives weights their parameters\' shapes, and other weights one dimension', () => {
    const { params, opt } = trained(OPTIMIZERS.ScionLight!);
    const weights = new Map([...weightsOf(params), ['extra', new Float32Array(5)]]);
    const file = decodeSafetensors(encodeCheckpoint({ weights, state: opt.getState() as OptimizerState }));
    expect(file.tensors.get('h.0.weight')!.shape).toEqual([4, 3]);
    expect(file.tensors.get('state.h.0.weight.gradient')!.shape).toEqual([4, 3]);
    expect(file.tensors.get('extra')!.shape).toEqual([5]);
  });
});

describe('damage', () => {
  const { params, opt } = trained(OPTIMIZERS['Scion (bfloat16 momentum)']!);
  const GOOD = encodeCheckpoint({ weights: weightsOf(params), state: opt.getState() as OptimizerState, metadata: { record: { loss: 2.5 } } });
  const file = decodeSafetensors(GOOD);
  const rewrite = (tensorsOut: Map<string, SafetensorsTensor>, meta: Record<string, string>) => encodeSafetensors(tensorsOut, meta);
  /** Where the data of `name` starts in the file. */
  const dataStart = (name: string) => 8 + Number(new DataView(GOOD.buffer, GOOD.byteOffset).getBigUint64(0, true)) + (JSON.parse(new TextDecoder().decode(GOOD.subarray(8, 8 + Number(new DataView(GOOD.buffer).getBigUint64(0, true))))) as Record<string, { data_offsets: number[] }>)[name]!.data_offsets[0]!;

  it('a flipped bit in a weight, and in a 16-bit state buffer, names the tensor', () => {
    for (const name of ['h.0.weight', 'state.h.0.weight.momentum']) {
      const bytes = GOOD.slice();
      bytes[dataStart(name) + 1]! ^= 0x04;
      expect(refusal(() => decodeCheckpoint(bytes))).toBe(`invalid checkpoint: the data of tensor "${name}" does not match its checksum`);
    }
  });

  it('an edited metadata part, or the state, names the part', () => {
    expect(refusal(() => decodeCheckpoint(rewrite(file.tensors, { ...file.metadata, record: '{"loss":2.4}' })))).toBe('invalid checkpoint: its metadata part "record" does not match its checksum');
    const state = file.metadata['state']!.replace('"step":2', '"step":3');
    expect(state).not.toBe(file.metadata['state']);
    expect(refusal(() => decodeCheckpoint(rewrite(file.tensors, { ...file.metadata, state })))).toBe('invalid checkpoint: its metadata part "state" does not match its checksum');
  });

  it('a part added or removed', () => {
    expect(refusal(() => decodeCheckpoint(rewrite(file.tensors, { ...file.metadata, note: '1' })))).toBe('invalid checkpoint: its metadata part "note" has no checksum');
    const { record: _r, ...less } = file.metadata;
    expect(refusal(() => decodeCheckpoint(rewrite(file.tensors, less)))).toBe('invalid checkpoint: its metadata part "record" is missing');
  });

  it('a truncated file', () => {
    for (const n of [0, 7, 100, GOOD.length - 1]) expect(refusal(() => decodeCheckpoint(GOOD.subarray(0, n)))).toMatch(/^invalid checkpoint: not a valid safetensors file: /);
  });

  it('a tensor missing, an extra tensor, a tensor reshaped or retyped', () => {
    const less = new Map(file.tensors);
    less.delete('head.weight');
    expect(refusal(() => decodeCheckpoint(rewrite(less, file.metadata)))).toMatch(/header .* does not match its checksum/);
    const more = new Map(file.tensors).set('extra', { dtype: 'F32', shape: [1], data: new Float32Array(1) });
    expect(refusal(() => decodeCheckpoint(rewrite(more, file.metadata)))).toMatch(/header .* does not match its checksum/);
    const reshaped = new Map(file.tensors).set('h.0.weight', { ...file.tensors.get('h.0.weight')!, shape: [3, 4] } as SafetensorsTensor);
    expect(refusal(() => decodeCheckpoint(rewrite(reshaped, file.metadata)))).toMatch(/header .* does not match its checksum/);
  });

  it('a tensor missing or extra with a recomputed header checksum names the tensor', () => {
    // Someone who recomputes `checksum` but not `sha256` (an edit made with the format's table at hand).
    const sums = JSON.parse(file.metadata['sha256']!) as { tensors: Record<string, string> };
    const recheck = (t: Map<string, SafetensorsTensor>) => {
      const table = [...t].map(([k, x]) => [k, x.dtype, x.shape]).sort(([a], [b]) => ((a as string) < (b as string) ? -1 : 1));
      return rewrite(t, { ...file.metadata, checksum: sha(JSON.stringify([file.metadata['format'], file.metadata['version'], file.metadata['sha256'], table])) });
    };
    const less = new Map(file.tensors);
    less.delete('head.weight');
    expect(refusal(() => decodeCheckpoint(recheck(less)))).toBe('invalid checkpoint: tensor "head.weight" is missing');
    const more = new Map(file.tensors).set('extra', { dtype: 'F32', shape: [1], data: new Float32Array(1) });
    expect(refusal(() => decodeCheckpoint(recheck(more)))).toBe('invalid checkpoint: tensor "extra" has no checksum');
    expect(Object.keys(sums.tensors)).toContain('head.weight');
  });

  it('another format, version, or a plain safetensors file', () => {
    expect(refusal(() => decodeCheckpoint(rewrite(file.tensors, { ...file.metadata, version: '2' })))).toBe('invalid checkpoint: its version is "2"; this library reads version 1');
    expect(refusal(() => decodeCheckpoint(encodeSafetensors({ w: { dtype: 'F32', shape: [1], data: new Float32Array(1) } })))).toBe('invalid checkpoint: its format is undefined, not "lmo-checkpoint"');
  });
});

describe('what cannot be written', () => {
  const state: OptimizerState = { format: 'lmo-optimizer-state', version: 3, step: 1, parameters: [{ name: 'w', shape: [2], group: 'g', buffers: { momentum: Float32Array.from([0.1, 1]) } }] };
  const weights = { w: new Float32Array(2) };

  it('refuses by name', () => {
    expect(refusal(() => encodeCheckpoint({ weights, state, metadata: { state: 1 } }))).toMatch(/metadata key "state" is reserved/);
    expect(refusal(() => encodeCheckpoint({ weights, state, metadata: { f: () => 1 } }))).toMatch(/metadata part "f" is not JSON/);
    expect(refusal(() => encodeCheckpoint({ weights, state, metadata: { big: 1n } }))).toMatch(/metadata part "big" is not JSON/);
    expect(refusal(() => encodeCheckpoint({ weights: { w: [0, 0] as never }, state }))).toMatch(/weights of "w" must be a Float32Array/);
    expect(refusal(() => encodeCheckpoint({ weights, state: {} as never }))).toMatch(/state must be an optimizer state/);
    const marked = { ...state, parameters: [{ ...state.parameters[0]!, dtypes: { momentum: 'bfloat16' as const } }] };
    expect(refusal(() => encodeCheckpoint({ weights, state: marked }))).toMatch(/"momentum" buffer of "w" is marked bfloat16 but holds 0.10000000149011612 at index 0/);
    expect(refusal(() => encodeCheckpoint({ weights: { ...weights, 'state.w.momentum': new Float32Array(2) }, state }))).toMatch(/tensor name "state.w.momentum" .* is already taken/);
    const legacy = { ...state, version: 2, parameters: [{ name: 'w', shape: [2], group: 'g', momentum: new Float32Array(2) }] } as never;
    expect(refusal(() => encodeCheckpoint({ weights, state: legacy }))).toMatch(/keeps "momentum" outside its buffers/);
  });
});
