/** The public types of `@lmo/gpujs` that are not classes: modes, device values, counters. */

/**
 * The gpu.js modes this package drives.
 *
 * - `cpu`: gpu.js's JavaScript kernels. Works everywhere.
 * - `webasm`: gpu.js's WebAssembly (SIMD) kernels, run synchronously on the calling thread.
 * - `headlessgl`: WebGL 1 through the `gl` package (headless-gl) in Node; results stay in float textures.
 * - `webgl`, `webgl2`: the same kernels on a page's WebGL 1 or WebGL 2 context, in a browser.
 * - `webgpu`: WGSL compute shaders through a `navigator.gpu` (in Node: the `webgpu` package's
 *   `create()`); results stay in storage buffers and the backend is asynchronous.
 */
export type GpujsMode = 'cpu' | 'webasm' | 'headlessgl' | 'webgl' | 'webgl2' | 'webgpu';

/**
 * The execution mode of the `@lmo/core` contract that a gpu.js mode gives: `'async'` for `webgpu`
 * (its kernels return Promises), `'sync'` for the others, and either when `G` is not known statically.
 */
export type ExecutionOf<G extends GpujsMode> = G extends 'webgpu' ? 'async' : 'sync';

/**
 * What gpu.js pipeline results have in common: a GL texture (`headlessgl`, `webgl`, `webgl2`) or a WebGPU buffer
 * result (`webgpu`), made by a kernel created with `pipeline: true`.
 */
export interface DeviceHandle {
  /** The values on the host (a Promise of them in `webgpu`). */
  toArray(): unknown;
  /** Frees the device memory. */
  delete(): void;
}

/**
 * The memory behind a tensor: a `Float32Array` in the host modes (`cpu`, `webasm`), a
 * {@link DeviceHandle} in the device modes (the GL modes and `webgpu`).
 */
export type DeviceValue = Float32Array | DeviceHandle;

/** Memory and compilation counters of a backend, for leak tests and profiling. */
export interface GpujsStats {
  /** Tensors (persistent ones, and temporaries of open scopes) not yet freed. */
  readonly liveTensors: number;
  /** Device values (arrays, textures, buffers) allocated or adopted and not yet released. */
  readonly liveValues: number;
  /** Kernels compiled (one per operation and shape). */
  readonly kernels: number;
  /** Kernel launches so far. */
  readonly launches: number;
}
