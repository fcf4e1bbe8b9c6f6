import { createGpujsBackend, type GpujsBackend, type GpujsBackendOptions } from './backend.js';
import type { GpujsMode } from './types.js';

/** Whether a mode works here, and if not, why. */
export interface ModeAvailability {
  readonly mode: GpujsMode;
  readonly available: boolean;
  /** Why the mode is unavailable (the error gpu.js or the platform raised). */
  readonly reason?: string;
}

/**
 * Find out whether `mode` works on this machine by running a small matmul and a reduction on it
 * and checking the numbers. Never throws.
 *
 * @example
 * ```ts
 * const { available, reason } = await probeMode('webasm');
 * ```
 */
export async function probeMode(mode: GpujsMode, options: Omit<GpujsBackendOptions, 'mode'> = {}): Promise<ModeAvailability> {
  let backend: GpujsBackend | undefined;
  try {
    backend = createGpujsBackend({ ...options, mode });
    const b = backend;
    const a = b.fromArray(new Float32Array([1, 2, 3, 4, 5, 6]), [2, 3]);
    const product = await b.read(b.matmul(a, a, { transposeB: true }));
    const norm = await b.read(b.sumSquares(a));
    const ok =
      product.length === 4 && product[0] === 14 && product[1] === 32 && product[2] === 32 && product[3] === 77 && norm[0] === 91;
    if (!ok) return { mode, available: false, reason: `wrong results: ${String(product)} / ${String(norm)}` };
    return { mode, available: true };
  } catch (e) {
    return { mode, available: false, reason: e instanceof Error ? e.message : String(e) };
  } finally {
    try {
      backend?.destroy();
    } catch {
      // ignore
    }
  }
}
