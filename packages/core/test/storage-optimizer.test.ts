/**
 * The optimizer over 16-bit storage: compensated updates against float64 computations of what
 * they must give, buffers in 16 bits, the bytes each configuration keeps, states with dtypes,
 * and the errors of a backend or option that cannot do what is asked.
 */
import { describe, expect, it } from 'vitest';
import type { StorageDtype, TensorBackend } from '../src/backend/contract.js';
import { LmoError } from '../src/errors.js';
import { adamw } from '../src/optimizer/adamw.js';
import { createOptimizer } from '../src/optimizer/optimizer.js';
import { scion, scionLight, signSGD } from '../src/optimizer/presets.js';
import { stateFromJSON, stateToJSON } from '../src/optimizer/state-json.js';
import { signUnscaled } from '../src/norms/sign.js';
import { Random } from '../src/random.js';
import { createReferenceBackend, type RefTensor } from '../src/reference/index.js';
import { roundNearest64, spacing } from '../src/testing/checks/storage.js';
import { asyncBackend } from './helpers/backend.js';

const ref = createReferenceBackend();
type B = TensorBackend<RefTensor>;
type Half = Exclude<StorageDtype, 'float32'>;

const read = async (b: B, x: RefTensor): Promise<Float32Array> => b.read(x);

/** `n` values in [1, 2) and a sign each, from a seed. */
function start(n: number, seed: number): { x0: Float32Array; signs: Float32Array } {
  const rng = new Random(seed);
  return {
    x0: Float32Array.from({ length: n }, () => 1 + rng.uniform()),
    signs: Float32Array.from({ length: n }, () => (rng.uniform() < 0.5 ? -1 : 1)),
  };
}

/**
 * `steps` of signSGD (`x ← x − γ·sign(g)`, the gradient's sign fixed per element) with γ = 10⁻³,
 * far below half of bfloat16's last bit in [1, 2) (2⁻⁸ ≈ 3.9·10⁻³): the weights' values, and what
 * they hold with their compensation buffer.
 */
async function signSteps(b: B, dtype: StorageDtype, compensation: 'kahan' | 'stochastic' | undefined, steps: number, seed = 3): Promise<{ x: Float32Array; held: Float32Array; x64: Float64Array }> {
  const n = 64;
  const { x0, signs } = start(n, seed);
  const w = b.fromArray(x0, [n], dtype);
  const g = b.fromArray(signs, [n]);
  const opt = signSGD(b, { w }, { lr: 1e-3, ...(compensation !== undefined ? { compensation } : {}) });
  for (let k = 0; k < steps; k++) await opt.step({ w: g });
  const x = await read(b, w);
  const state = await opt.getState();
  const c = state.parameters[0]!.buffers?.compensation;
  const held = c === undefined ? x : x.map((v, i) => v + c[i]!);
  // float64: the parameter starts as the stored x0 and moves by exactly k·γ per step
  const stored = await read(b, b.fromArray(x0, [n], dtype));
  const x64 = Float64Array.from(stored, (v, i) => v - steps * 1e-3 * signs[i]!);
  return { x, held, x64 };
}

const maxAbsDiff = (a: ArrayLike<number>, b: ArrayLike<number>): number => Array.from(a).reduce((m, v, i) => Math.max(m, Math.abs(v - b[i]!)), 0);

describe.each([
  ['reference', ref],
  ['reference on DeferredExecution', asyncBackend(createReferenceBackend()).backend],
] as const)('compensated 16-bit updates (%s)', (_, b) => {
  it('float32 follows the float64 trajectory; plain bfloat16 stalls; Kahan-compensated bfloat16 and float16 follow it', async () => {
    const steps = 1000; // the weights move by 1 in all
    const f32 = await signSteps(b, 'float32', undefined, steps);
    expect(maxAbsDiff(f32.x, f32.x64)).toBeLessThan(1e-4);
    const plain = await signSteps(b, 'bfloat16', undefined, steps);
    expect(maxAbsDiff(plain.x, plain.x64)).toBeCloseTo(1, 6); // not one update took: every element still holds its start
    for (const [dtype, within] of [
      ['bfloat16', 0.01],
      ['float16', 0.001],
    ] as const) {
      const kahan = await signSteps(b, dtype, 'kahan', steps);
      // Each step stores c to its own p bits (8 in bfloat16, 11 in float16): it loses at most
      // 2^−p·|c| ≤ 2^−p·ulp(x)/2 of the step, which for x < 4 is at most 3% (bfloat16) and 0.4%
      // (float16) of γ = 10⁻³, and with a constant step the losses lean one way. x + c ends within
      // 1% (bfloat16) or 0.1% (float16) of the distance travelled (1); plain rounding loses all of it.
      expect(maxAbsDiff(kahan.held, kahan.x64)).toBeLessThan(within);
      // the weights themselves hold that value rounded: within one of their ulps (2⁻⁶ over [0, 4))
      expect(maxAbsDiff(kahan.x, kahan.x64)).toBeLessThan(within + spacing(3, dtype));
    }
  }, 60_000);

  it('stochastic rounding follows the float64 trajectory on average, and a seed reproduces it', async () => {
    const steps = 1000;
    const sr = await signSteps(b, 'bfloat16', 'stochastic', steps);
    const errors = Array.from(sr.x, (v, i) => v - sr.x64[i]!);
    const mean = errors.reduce((s, e) => s + e, 0) / errors.length;
    // each step's rounding is unbiased with variance ≤ ulp²/4 (ulp ≤ 2⁻⁶ over [0, 3)): the error of
    // one element has a standard deviation ≤ 2⁻⁷·√1000 ≈ 0.25, of the mean of 64 at most 0.031
    expect(Math.abs(mean)).toBeLessThan(4 * 0.031);
    expect(maxAbsDiff(sr.x, sr.x64)).toBeLessThan(1); // plain rounding is off by exactly 1
    const again = await signSteps(b, 'bfloat16', 'stochastic', steps);
    expect(Array.from(again.x)).toEqual(Array.from(sr.x));
  }, 60_000);
});

describe('ScionLight in 16 bits', () => {
  /** float32 rounding of a float64 value. */
  const f = Math.fround;

  it('one step of weights and G in bfloat16 with Kahan compensation is the float64 formula, rounded where it is stored', async () => {
    const n = 6;
    const rng = new Random(11);
    const x0 = Float32Array.from({ length: n }, () => rng.normal());
    const G0 = Float32Array.from({ length: n }, () => rng.normal());
    const g = Float32Array.from({ length: n }, () => rng.normal());
    const [lr, alpha] = [0.01, 0.25];
    const w = ref.fromArray(x0, [1, n], 'bfloat16');
    const opt = scionLight(ref, { w }, { lr, momentum: alpha, unconstrained: true, norm: signUnscaled(), bufferDtype: 'bfloat16', compensation: 'kahan' } as never);
    ref.assign(opt.gradients.get('w')!, ref.fromArray(G0, [1, n]));
    opt.step({ w: ref.fromArray(g, [1, n]) });
    const state = opt.getState();
    const [x, G, c] = [ref.read(w), state.parameters[0]!.buffers!.gradient!, state.parameters[0]!.buffers!.compensation!];
    for (let i = 0; i < n; i++) {
      const xs = roundNearest64(x0[i]!, 'bfloat16');
      const Gs = roundNearest64(G0[i]!, 'bfloat16');
      const d = f(Gs + g[i]!); // G + g
      const w1 = f(xs - lr * Math.sign(d)); // uSCG with the sign LMO, on w = x + c (c = 0 at first)
      expect(x[i]).toBe(roundNearest64(w1, 'bfloat16'));
      expect(c[i]).toBe(roundNearest64(w1 - roundNearest64(w1, 'bfloat16'), 'bfloat16'));
      expect(G[i]).toBe(roundNearest64(f(d * (1 - alpha)), 'bfloat16'));
    }
    expect(state.parameters[0]!.dtypes).toEqual({ gradient: 'bfloat16', compensation: 'bfloat16' });
  });

  it('keeps 4 bytes per parameter (weights and G), 6 with the compensation buffer, against 8 in float32', () => {
    const n = 1000;
    const make = (dtype: StorageDtype, extra: object) => scionLight(ref, { w: ref.fromArray(new Float32Array(n), [10, 100], dtype) }, { lr: 0.01, ...extra });
    const bytes = (o: { parameterBytes: number; ownedBytes: number }): number => (o.parameterBytes + o.ownedBytes) / n;
    expect(bytes(make('float32', {}))).toBe(8);
    expect(bytes(make('bfloat16', { bufferDtype: 'bfloat16' }))).toBe(4);
    expect(bytes(make('float16', { bufferDtype: 'float16' }))).toBe(4);
    expect(bytes(make('bfloat16', { bufferDtype: 'bfloat16', compensation: 'kahan' }))).toBe(6);
    expect(bytes(make('bfloat16', { bufferDtype: 'bfloat16', compensation: 'stochastic' }))).toBe(4);
    // float32 parameters take no compensation buffer
    expect(bytes(make('float32', { compensation: 'kahan' }))).toBe(8);
    expect(make('bfloat16', { bufferDtype: 'bfloat16', compensation: 'kahan' }).parameters[0]).toMatchObject({ dtype: 'bfloat16', buffers: ['gradient', 'compensation'] });
  });
});

describe('16-bit optimizer buffers', () => {
  it('Scion keeps its momentum and AdamW its moments in bfloat16: the float32 step, rounded into them', async () => {
    const rng = new Random(5);
    const [x0, g] = [0, 1].map(() => Float32Array.from({ length: 12 }, () => rng.normal()));
    for (const make of [
      (b: B, w: RefTensor, dtype: StorageDtype) => scion(b, { w }, { lr: 0.02, norm: signUnscaled(), bufferDtype: dtype }),
      (b: B, w: RefTensor, dtype: StorageDtype) => adamw(b, { w }, { lr: 0.02, bufferDtype: dtype } as never),
    ]) {
      const runs = (['float32', 'bfloat16'] as const).map((dtype) => {
        const w = ref.fromArray(x0!, [3, 4]);
        const opt = make(ref, w, dtype);
        opt.step({ w: ref.fromArray(g!, [3, 4]) });
        return { w: ref.read(w), state: opt.getState() as Awaited<ReturnType<typeof opt.getState>> };
      });
      const [wide, half] = runs as [(typeof runs)[0], (typeof runs)[0]];
      expect(Array.from(half.w)).toEqual(Array.from(wide.w)); // the first step uses the buffers before they are stored
      for (const [name, v] of Object.entries(wide.state.parameters[0]!.buffers!)) {
        expect(Array.from(half.state.parameters[0]!.buffers![name as 'momentum']!)).toEqual(Array.from(v!, (e) => roundNearest64(e, 'bfloat16')));
        expect(half.state.parameters[0]!.dtypes![name as 'momentum']).toBe('bfloat16');
      }
      expect(wide.state.parameters[0]!.dtypes).toBeUndefined();
    }
  });

  it('AdamW keeps 16 bytes per parameter with its gradients, Scion 12, in float32', () => {
    const n = 400;
    const w = (): RefTensor => ref.fromArray(new Float32Array(n), [20, 20]);
    const grads = 4; // the gradient the caller holds for step(grads)
    const a = adamw(ref, { w: w() }, { lr: 1e-3 });
    const s = scion(ref, { w: w() }, { lr: 0.01 });
    expect((a.parameterBytes + a.ownedBytes) / n + grads).toBe(16);
    expect((s.parameterBytes + s.ownedBytes) / n + grads).toBe(12);
  });
});

describe('states with 16-bit buffers', () => {
  function lightPair(bufferDtype: StorageDtype, compensation?: 'kahan') {
    const w = ref.fromArray(Float32Array.from({ length: 8 }, (_, i) => Math.sin(i)), [2, 4], 'bfloat16');
    const opt = scionLight(ref, { w }, { lr: 0.01, bufferDtype, ...(compensation !== undefined ? { compensation } : {}) });
    return { w, opt };
  }
  const steps = (opt: ReturnType<typeof lightPair>['opt'], k: number): void => {
    for (let i = 0; i < k; i++) opt.step({ w: ref.fromArray(Float32Array.from({ length: 8 }, (_, j) => Math.cos(i + j)), [2, 4]) });
  };

  it('round-trip through JSON with their dtypes, and a resumed run continues bit for bit', () => {
    const a = lightPair('bfloat16', 'kahan');
    steps(a.opt, 3);
    const saved = stateFromJSON(JSON.parse(JSON.stringify(stateToJSON(a.opt.getState()))));
    expect(saved.parameters[0]!.dtypes).toEqual({ gradient: 'bfloat16', compensation: 'bfloat16' });
    const b = lightPair('bfloat16', 'kahan');
    ref.assign(b.w, a.w);
    b.opt.loadState(saved);
    steps(a.opt, 2);
    steps(b.opt, 2);
    expect(Array.from(ref.read(b.w))).toEqual(Array.from(ref.read(a.w)));
    expect(stateToJSON(b.opt.getState())).toEqual(stateToJSON(a.opt.getState()));
  });

  it('a bfloat16 state loads into float32 buffers exactly; a float32 state into bfloat16 ones is refused, changing nothing', () => {
    const half = lightPair('bfloat16');
    steps(half.opt, 2);
    const wide = lightPair('float32');
    wide.opt.loadState(half.opt.getState());
    expect(Array.from(wide.opt.getState().parameters[0]!.buffers!.gradient!)).toEqual(Array.from(half.opt.getState().parameters[0]!.buffers!.gradient!));
    steps(wide.opt, 1);
    const before = half.opt.getState();
    expect(() => half.opt.loadState(wide.opt.getState())).toThrow(/"gradient" buffer of "w" was saved as float32 and this optimizer stores it as bfloat16/);
    expect(stateToJSON(half.opt.getState())).toEqual(stateToJSON(before));
  });

  it('refuses a state whose values its dtype cannot hold, an unknown dtype, and a dtype for a buffer it lacks', () => {
    const { opt } = lightPair('bfloat16');
    steps(opt, 1);
    const good = opt.getState();
    const p = good.parameters[0]!;
    const G = p.buffers!.gradient!.slice();
    G[3] = 1 + 2 ** -10; // not a bfloat16 value
    const variants: Array<[unknown, RegExp]> = [
      [{ ...p, buffers: { gradient: G } }, /marked bfloat16 but holds 1.0009765625 at index 3/],
      [{ ...p, dtypes: { gradient: 'float64' } }, /dtype of its "gradient" buffer is "float64"/],
      [{ ...p, dtypes: { gradient: 'bfloat16', momentum: 'bfloat16' } }, /dtype for a "momentum" buffer it does not hold/],
    ];
    for (const [parameter, message] of variants) {
      expect(() => opt.loadState({ ...good, parameters: [parameter as never] })).toThrow(message);
    }
    expect(() => lightPair('bfloat16', 'kahan').opt.loadState(good)).toThrow(/compensation "kahan" keeps a "compensation" buffer/);
  });
});

describe('what a backend or an option cannot do is refused at construction', () => {
  const float32Only: B = { ...createReferenceBackend({ name: 'float32-only' }), storage: undefined };

  it('a 16-bit bufferDtype on a float32-only backend, naming the backend and what it stores', () => {
    const w = float32Only.fromArray(new Float32Array(4), [2, 2]);
    const error = (() => {
      try {
        scionLight(float32Only, { w }, { lr: 0.1, bufferDtype: 'bfloat16' });
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(LmoError);
    expect((error as LmoError).code).toBe('BACKEND');
    expect((error as LmoError).message).toMatch(/bufferDtype: the float32-only backend does not store bfloat16 \(it stores float32\)/);
  });

  it('stochastic rounding on a backend without it, for a 16-bit parameter', () => {
    const base = createReferenceBackend();
    const noSR: B = { ...base, storage: { ...base.storage!, stochasticRounding: false } };
    const w = noSR.fromArray(new Float32Array(4), [2, 2], 'float16');
    expect(() => scionLight(noSR, { w }, { lr: 0.1, compensation: 'stochastic' })).toThrow(/no stochastic rounding .* parameter "w" is float16; use compensation "kahan"/);
    // float32 parameters need none
    expect(() => scionLight(noSR, { w: noSR.fromArray(new Float32Array(4), [2, 2]) }, { lr: 0.1, compensation: 'stochastic' })).not.toThrow();
  });

  it('bad values of the new options', () => {
    const w = ref.fromArray(new Float32Array(4), [2, 2]);
    expect(() => createOptimizer(ref, { w }, { lr: 0.1, bufferDtype: 'float64' as never })).toThrow(/bufferDtype must be one of "float32", "bfloat16", "float16", got "float64"/);
    expect(() => createOptimizer(ref, { w }, { lr: 0.1, compensation: 'kahn' as never })).toThrow(/compensation must be "kahan" .* or "stochastic" .*, got "kahn"/);
    expect(() => createOptimizer(ref, { w }, { lr: 0.1, roundingSeed: -1 })).toThrow(/roundingSeed must be an integer in \[0, 2³²\), got -1/);
  });

  it('a failed step changes neither 16-bit weights nor their compensation', () => {
    const w = ref.fromArray(Float32Array.of(1, 2, 3, 4), [2, 2], 'bfloat16');
    const opt = signSGD(ref, { w }, { lr: 1e-3, compensation: 'kahan' });
    opt.step({ w: ref.fromArray(Float32Array.of(1, 1, 1, 1), [2, 2]) });
    const before = [Array.from(ref.read(w)), stateToJSON(opt.getState())];
    expect(() => opt.step({ w: ref.fromArray(Float32Array.of(1, NaN, 1, 1), [2, 2]) })).toThrow(LmoError);
    expect([Array.from(ref.read(w)), stateToJSON(opt.getState())]).toEqual(before);
  });
});

describe('dtypes a backend declares are what tensors report', () => {
  it.each(['bfloat16', 'float16'] as Half[])('%s: parameters report it; the optimizer’s buffers follow bufferDtype', (dtype) => {
    const w = ref.fromArray(new Float32Array(6), [2, 3], dtype);
    const opt = scion(ref, { w }, { lr: 0.1, bufferDtype: 'float32' });
    expect(opt.parameters[0]!.dtype).toBe(dtype);
    expect(opt.ownedBytes).toBe(4 * 6);
    expect(opt.parameterBytes).toBe(2 * 6);
  });
});
