/**
 * What the training page exposes to the test runner (`window.lmoTraining`): a PyTorch-exported
 * GPT (the adapter's test fixture) trained with uSCG by `createOnnxTrainer` of
 * `@lmo/onnxruntime/web`, on one execution provider, with PyTorch's losses for the same steps.
 */

/** Whether a provider can run here, and if not, why. */
export interface ProviderAvailability {
  readonly provider: string;
  readonly available: boolean;
  readonly reason?: string;
}

/** One provider's training run. */
export interface TrainingResult {
  readonly provider: string;
  readonly losses: readonly number[];
  /** PyTorch's losses for the same steps (reference Scion, uSCG). */
  readonly reference: readonly number[];
  /** max over steps of |loss − reference| / reference. */
  readonly maxError: number;
  /** Sessions the backend still holds after the trainer and the backend were closed. */
  readonly sessionsLeft: number;
  /** What ran, and how long the steps took (informational). */
  readonly detail: string;
}

export interface TrainingPage {
  availability(): Promise<ProviderAvailability[]>;
  run(provider: string, steps: number): Promise<TrainingResult>;
}

declare global {
  interface Window {
    lmoTraining?: TrainingPage;
  }
}

/** The tensors of a safetensors file (F32 and I64), read with a DataView. */
export function readSafetensors(buffer: ArrayBuffer): Map<string, { shape: number[]; data: Float32Array | BigInt64Array }> {
  const view = new DataView(buffer);
  const headerLength = Number(view.getBigUint64(0, true));
  const header = JSON.parse(new TextDecoder().decode(new Uint8Array(buffer, 8, headerLength))) as Record<string, { dtype: string; shape: number[]; data_offsets: [number, number] }>;
  const out = new Map<string, { shape: number[]; data: Float32Array | BigInt64Array }>();
  for (const [name, t] of Object.entries(header)) {
    if (name === '__metadata__') continue;
    const bytes = buffer.slice(8 + headerLength + t.data_offsets[0], 8 + headerLength + t.data_offsets[1]);
    out.set(name, { shape: t.shape, data: t.dtype === 'I64' ? new BigInt64Array(bytes) : new Float32Array(bytes) });
  }
  return out;
}
