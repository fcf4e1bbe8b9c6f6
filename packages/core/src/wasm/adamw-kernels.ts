// Two WebAssembly SIMD kernels over float32 arrays in one linear memory, for AdamW on host arrays
// (optimizer/host-adamw.ts): the sum of squares of a range (in float64) and AdamW's update of a
// range in one pass. The module is assembled here byte by byte (a few dozen opcodes of the
// WebAssembly 2.0 binary format with its fixed-width SIMD), so nothing is compiled at build time.

const I32 = 0x7f;
const F32 = 0x7d;
const F64 = 0x7c;
const V128 = 0x7b;

/** Unsigned LEB128. */
function uleb(n: number): number[] {
  const out: number[] = [];
  do {
    let byte = n & 0x7f;
    n >>>= 7;
    if (n !== 0) byte |= 0x80;
    out.push(byte);
  } while (n !== 0);
  return out;
}

const name = (s: string): number[] => [...uleb(s.length), ...new TextEncoder().encode(s)];
const vec = (items: readonly (readonly number[])[]): number[] => [...uleb(items.length), ...items.flat()];
const section = (id: number, bytes: readonly number[]): number[] => [id, ...uleb(bytes.length), ...bytes];

// instructions
const local = {
  get: (i: number) => [0x20, ...uleb(i)],
  set: (i: number) => [0x21, ...uleb(i)],
};
const simd = (op: number, ...immediates: number[]): number[] => [0xfd, ...uleb(op), ...immediates];
/** A 16-byte-aligned access at offset 0 (`memarg`: log2 alignment, offset). */
const MEM = [4, 0];
const v128 = {
  load: () => simd(0x00, ...MEM),
  store: () => simd(0x0b, ...MEM),
};
const f32x4 = {
  splat: () => simd(0x13),
  sqrt: () => simd(0xe3),
  add: () => simd(0xe4),
  mul: () => simd(0xe6),
  div: () => simd(0xe7),
};
const f64x2 = {
  promoteLow: () => simd(0x5f),
  add: () => simd(0xf0),
  mul: () => simd(0xf2),
  lane: (i: number) => simd(0x21, i),
};
/** The upper two float32 lanes of a vector moved to the lower two (bytes 8–15, then 0–7). */
const swapHalves = () => simd(0x0d, 8, 9, 10, 11, 12, 13, 14, 15, 0, 1, 2, 3, 4, 5, 6, 7);
const i32 = { add: [0x6a], geU: [0x4f], const: (n: number) => [0x41, ...uleb(n)] };
const f64Add = [0xa0];
const BLOCK = [0x02, 0x40];
const LOOP = [0x03, 0x40];
const END = [0x0b];
const brIf = (depth: number) => [0x0d, depth];
const br = (depth: number) => [0x0c, depth];

/** `for (i = 0; i < bytes; i += 16) body` — `i` and `bytes` are locals. */
function loop16(i: number, bytes: number, body: readonly number[]): number[] {
  return [
    ...BLOCK, ...LOOP,
    ...local.get(i), ...local.get(bytes), ...i32.geU, ...brIf(1),
    ...body,
    ...local.get(i), ...i32.const(16), ...i32.add, ...local.set(i),
    ...br(0), ...END, ...END,
  ];
}
/** `base + i`, the address of the current vector of a range. */
const at = (base: number, i: number) => [...local.get(base), ...local.get(i), ...i32.add];

/** sumSquares(ptr, bytes) → Σ x² over the float32s of [ptr, ptr + bytes), in float64 (no overflow). */
function sumSquaresBody(): number[] {
  const [ptr, bytes, i, acc, x, y] = [0, 1, 2, 3, 4, 5];
  const body = [
    ...at(ptr, i), ...v128.load(), ...local.set(x),
    ...local.get(x), ...f64x2.promoteLow(), ...local.set(y),
    ...local.get(acc), ...local.get(y), ...local.get(y), ...f64x2.mul(), ...f64x2.add(), ...local.set(acc),
    ...local.get(x), ...local.get(x), ...swapHalves(), ...f64x2.promoteLow(), ...local.set(y),
    ...local.get(acc), ...local.get(y), ...local.get(y), ...f64x2.mul(), ...f64x2.add(), ...local.set(acc),
  ];
  const code = [...loop16(i, bytes, body), ...local.get(acc), ...f64x2.lane(0), ...local.get(acc), ...f64x2.lane(1), ...f64Add, ...END];
  return [...vec([[...uleb(1), I32], [...uleb(3), V128]]), ...code];
}

/**
 * adamw(bytes, p, g, m, v, β₁, c₁, β₂, c₂, s₂, eps, decay, step), over `bytes / 4` float32s at each
 * of the four addresses, in place:
 * `m ← β₁·m + c₁·g;  v ← β₂·v + c₂·g²;  p ← decay·p + step·m / (√v·s₂ + eps)`.
 */
function adamwBody(): number[] {
  const [bytes, p, g, m, v] = [0, 1, 2, 3, 4];
  const scalars = 5; // 5..12: the eight f32 parameters
  const i = 13;
  const splat = 14; // 14..21: the parameters as vectors
  const [vb1, vc1, vb2, vc2, vs2, veps, vdecay, vstep] = [0, 1, 2, 3, 4, 5, 6, 7].map((k) => splat + k) as number[];
  const [gv, mv, vv] = [22, 23, 24];
  const setup = [0, 1, 2, 3, 4, 5, 6, 7].flatMap((k) => [...local.get(scalars + k), ...f32x4.splat(), ...local.set(splat + k)]);
  const body = [
    ...at(g, i), ...v128.load(), ...local.set(gv),
    // m ← β₁·m + c₁·g
    ...local.get(vb1!), ...at(m, i), ...v128.load(), ...f32x4.mul(), ...local.get(vc1!), ...local.get(gv), ...f32x4.mul(), ...f32x4.add(), ...local.set(mv),
    ...at(m, i), ...local.get(mv), ...v128.store(),
    // v ← β₂·v + c₂·g·g
    ...local.get(vb2!), ...at(v, i), ...v128.load(), ...f32x4.mul(),
    ...local.get(vc2!), ...local.get(gv), ...f32x4.mul(), ...local.get(gv), ...f32x4.mul(), ...f32x4.add(), ...local.set(vv),
    ...at(v, i), ...local.get(vv), ...v128.store(),
    // p ← decay·p + step·m / (√v·s₂ + eps)
    ...at(p, i),
    ...local.get(vdecay!), ...at(p, i), ...v128.load(), ...f32x4.mul(),
    ...local.get(vstep!), ...local.get(mv), ...f32x4.mul(),
    ...local.get(vv), ...f32x4.sqrt(), ...local.get(vs2!), ...f32x4.mul(), ...local.get(veps!), ...f32x4.add(),
    ...f32x4.div(), ...f32x4.add(),
    ...v128.store(),
  ];
  return [...vec([[...uleb(1), I32], [...uleb(11), V128]]), ...setup, ...loop16(i, bytes, body), ...END];
}

function moduleBytes(): Uint8Array {
  const types = [
    [0x60, ...vec([[I32], [I32]]), ...vec([[F64]])],
    [0x60, ...vec([I32, I32, I32, I32, I32, F32, F32, F32, F32, F32, F32, F32, F32].map((t) => [t])), ...vec([])],
  ];
  const bodies = [sumSquaresBody(), adamwBody()].map((b) => [...uleb(b.length), ...b]);
  return new Uint8Array([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, vec(types)),
    ...section(2, vec([[...name('env'), ...name('memory'), 0x02, 0x00, ...uleb(1)]])),
    ...section(3, vec([[0], [1]])),
    ...section(7, vec([[...name('sumSquares'), 0x00, 0], [...name('adamw'), 0x00, 1]])),
    ...section(10, vec(bodies)),
  ]);
}

/** AdamW's hyperparameters of one step, folded as the kernel takes them (see {@link AdamWKernels.adamw}). */
export interface AdamWCoefficients {
  readonly beta1: number;
  readonly c1: number;
  readonly beta2: number;
  readonly c2: number;
  readonly s2: number;
  readonly eps: number;
  readonly decay: number;
  readonly step: number;
}

/** The part of the WebAssembly JS API used here (Node's own types do not declare it). */
interface WasmApi {
  Memory: new (descriptor: { initial: number }) => WasmMemory;
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { readonly exports: Record<string, unknown> };
}

/** A WebAssembly linear memory. */
export interface WasmMemory {
  readonly buffer: ArrayBuffer;
}

const wasm = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

/** The compiled kernels over a linear memory of `bytes` bytes (addresses and lengths in bytes, multiples of 16). */
export class AdamWKernels {
  readonly memory: WasmMemory;
  readonly #sumSquares: (ptr: number, bytes: number) => number;
  readonly #adamw: (bytes: number, p: number, g: number, m: number, v: number, ...k: number[]) => void;

  constructor(bytes: number) {
    this.memory = new wasm.Memory({ initial: Math.max(1, Math.ceil(bytes / 65536)) });
    const instance = new wasm.Instance(new wasm.Module(moduleBytes()), { env: { memory: this.memory } });
    this.#sumSquares = instance.exports['sumSquares'] as AdamWKernels['sumSquares'];
    this.#adamw = instance.exports['adamw'] as (bytes: number, p: number, g: number, m: number, v: number, ...k: number[]) => void;
  }

  /** Σ x² over the float32s of `[ptr, ptr + bytes)`, computed in float64. */
  sumSquares(ptr: number, bytes: number): number {
    return this.#sumSquares(ptr, bytes);
  }

  /**
   * One pass over `bytes / 4` float32s of p, g, m and v at their addresses, in place:
   * `m ← β₁·m + c₁·g;  v ← β₂·v + c₂·g²;  p ← decay·p + step·m / (√v·s₂ + eps)` (every operation in
   * float32, four lanes at a time).
   */
  adamw(bytes: number, p: number, g: number, m: number, v: number, k: AdamWCoefficients): void {
    this.#adamw(bytes, p, g, m, v, k.beta1, k.c1, k.beta2, k.c2, k.s2, k.eps, k.decay, k.step);
  }
}
