/**
 * What a parity page exposes to the test runner (`window.lmoParity`), and the shared parts of a
 * run: the reference result, the comparison, and a line of status text in the page itself.
 */
import type { ExecutionMode, TensorBackend } from '@lmo/core';
import { relativeError } from '@lmo/core/testing';
import { optimizerFor } from './page-optimizer.js';
import { PARAMS, STEPS, STORAGE_RUNS, gradients, initialWeights, updates, type StorageRun } from './problem.js';
import { referenceRun } from './reference.js';
import { compareStored, type StoredComparison } from './stored.js';

/** Whether a backend can run in this browser, and if not, why. */
export interface BackendAvailability {
  readonly backend: string;
  readonly available: boolean;
  /** Why not (what the browser or the engine said). */
  readonly reason?: string;
}

/** One backend's parity run. */
export interface ParityResult {
  readonly adapter: string;
  readonly backend: string;
  /** What actually ran (renderer, adapter, wasm flavour). */
  readonly detail: string;
  readonly steps: number;
  /** Per parameter: max |Δ − Δ_ref| / max |Δ_ref| over its elements (Δ = total update). */
  readonly errors: Readonly<Record<string, number>>;
  /** The largest of {@link ParityResult.errors}. */
  readonly maxError: number;
  /** Engine objects (tensors, buffers) still alive after everything was disposed. */
  readonly leaked: number;
  /** Wall time of the optimizer steps, milliseconds (informational; the first step compiles). */
  readonly ms: number;
  /** A 16-bit run (`<backend>:<dtype>`): its final weights against the reference's, in the dtype's steps. */
  readonly stored?: StoredComparison;
}

/** The object a page puts on `window.lmoParity`. */
export interface ParityPage {
  readonly adapter: string;
  availability(): Promise<BackendAvailability[]>;
  run(backend: string): Promise<ParityResult>;
}

declare global {
  interface Window {
    lmoParity?: ParityPage;
  }
}

/**
 * The 16-bit configuration a backend name asks for: `wasm:bfloat16+kahan` is onnxruntime's wasm
 * provider with ScionLight over bfloat16 weights and G, Kahan-compensated; no suffix, float32 Scion.
 */
export function storageOf(backend: string): StorageRun | undefined {
  const colon = backend.indexOf(':');
  if (colon < 0) return undefined;
  const storage = STORAGE_RUNS[backend.slice(colon + 1)];
  if (!storage) throw new Error(`unknown 16-bit configuration in '${backend}' (expected one of ${Object.keys(STORAGE_RUNS).join(', ')})`);
  return storage;
}

/** The adapter's final weights compared with the reference's (same `storage`), as per-parameter update errors. */
export function compareWithReference(
  final: ReadonlyMap<string, Float32Array>,
  storage?: StorageRun,
): { errors: Record<string, number>; maxError: number; stored?: StoredComparison } {
  const initial = initialWeights();
  const reference = referenceRun(storage);
  const expected = updates(initial, reference);
  const actual = updates(initial, final);
  const errors: Record<string, number> = {};
  for (const p of PARAMS) errors[p.name] = relativeError(actual.get(p.name)!, expected.get(p.name)!);
  const maxError = Math.max(...Object.values(errors));
  return storage ? { errors, maxError, stored: compareStored(final, reference, storage) } : { errors, maxError };
}

/** What one adapter's page provides; {@link exposeParityPage} does the rest. */
export interface AdapterPage {
  readonly adapter: string;
  /** The backends (modes, execution providers) the page knows. */
  readonly backends: readonly string[];
  /** Why `backend` cannot run in this browser, or `undefined` when it can. */
  whyNot(backend: string): Promise<string | undefined>;
  /** The problem's steps on `backend` (with `storageOf(backend)`'s 16-bit storage, if any). */
  run(backend: string): Promise<AdapterRun>;
}

/** What one run of the problem on an adapter gives. */
export interface AdapterRun {
  /** The weights after the last step. */
  readonly final: ReadonlyMap<string, Float32Array>;
  /** Wall time of the steps, milliseconds. */
  readonly ms: number;
  /** What ran (renderer, adapter, kernels, sessions). */
  readonly detail: string;
  /** Engine objects still alive after everything was disposed. */
  readonly leaked: number;
}

/** Installs `window.lmoParity` for `page` and shows what the page is for. */
export function exposeParityPage(page: AdapterPage): void {
  window.lmoParity = {
    adapter: page.adapter,
    async availability() {
      const out: BackendAvailability[] = [];
      for (const backend of page.backends) {
        const reason = await page.whyNot(backend).catch(messageOf);
        out.push(reason === undefined ? { backend, available: true } : { backend, available: false, reason });
      }
      return out;
    },
    async run(backend) {
      if (!page.backends.includes(backend)) throw new Error(`unknown ${page.adapter} backend '${backend}' (expected one of ${page.backends.join(', ')})`);
      const { final, ms, detail, leaked } = await page.run(backend);
      const { errors, maxError, stored } = compareWithReference(final, storageOf(backend));
      log(`${backend}: max relative error ${maxError.toExponential(2)}, ${ms.toFixed(0)} ms; ${detail}`);
      return { adapter: page.adapter, backend, detail, steps: STEPS, errors, maxError, leaked, ms, ...(stored ? { stored } : {}) };
    },
  };
  const status = document.getElementById('status');
  if (status) status.textContent = `${page.adapter}: ${STEPS} Scion steps vs @lmo/core/reference — ready`;
  document.body.dataset.ready = 'true';
}

/**
 * The problem on any `@lmo/core` backend with core's `scion` (or, with `storage`, `scionLight` over
 * 16-bit weights and G): the final weights and the time the steps took. Every tensor it makes is disposed.
 */
export async function scionOnBackend<T, M extends ExecutionMode>(
  b: TensorBackend<T, M>,
  storage?: StorageRun,
): Promise<{ final: Map<string, Float32Array>; ms: number }> {
  const init = initialWeights();
  const params = new Map(PARAMS.map((p) => [p.name, b.fromArray(init.get(p.name)!, p.shape, storage?.dtype)] as const));
  const optimizer = optimizerFor(b, params, storage);
  const start = performance.now();
  for (let t = 0; t < STEPS; t++) {
    const g = gradients(t);
    const grads = new Map(PARAMS.map((p) => [p.name, b.fromArray(g.get(p.name)!, p.shape)] as const));
    await optimizer.step(grads); // a Promise on asynchronous backends
    for (const x of grads.values()) b.dispose(x);
  }
  const final = new Map<string, Float32Array>();
  for (const [name, x] of params) final.set(name, Float32Array.from(await b.read(x)));
  const ms = performance.now() - start;
  optimizer.dispose();
  for (const x of params.values()) b.dispose(x);
  return { final, ms };
}

/** Appends one line to the page's log (handy when the page is opened by hand). */
export function log(line: string): void {
  const out = document.getElementById('log');
  if (out) out.textContent += `${line}\n`;
}

/** An error's message, whatever was thrown. */
export function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
