/**
 * What a parity page exposes to the test runner (`window.lmoParity`), and the shared parts of a
 * run: the reference result, the comparison, and a line of status text in the page itself.
 */
import { PARAMS, STEPS, relativeError, updates, initialWeights } from './problem.js';
import { referenceRun } from './reference.js';

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

/** The adapter's final weights compared with the reference's, as per-parameter update errors. */
export function compareWithReference(final: ReadonlyMap<string, Float32Array>): { errors: Record<string, number>; maxError: number } {
  const initial = initialWeights();
  const expected = updates(initial, referenceRun());
  const actual = updates(initial, final);
  const errors: Record<string, number> = {};
  for (const p of PARAMS) errors[p.name] = relativeError(actual.get(p.name)!, expected.get(p.name)!);
  return { errors, maxError: Math.max(...Object.values(errors)) };
}

/** Installs the page object and shows what the page is for. */
export function exposeParityPage(page: ParityPage): void {
  window.lmoParity = page;
  const status = document.getElementById('status');
  if (status) status.textContent = `${page.adapter}: ${STEPS} Scion steps vs @lmo/core/reference — ready`;
  document.body.dataset.ready = 'true';
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
