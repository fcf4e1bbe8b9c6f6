/** What the memory experiment's page (pages/memory.ts) offers its driver (memory/run.ts). */

/** One run: a model, an optimizer (and the dtype it stores weights in), a number of steps. */
export interface MemoryRun {
  readonly modelUrl: string;
  readonly optimizer: 'adamw-float32' | 'scionlight-bfloat16' | 'scionlight-bfloat16-kahan';
  readonly steps: number;
  /** onnxruntime's CPU memory arena in every session (`enableCpuMemArena`); false frees each tensor on its own. */
  readonly cpuArena: boolean;
}

/** The memory after a phase: each WebAssembly memory's size and the JS heap in use (MiB). */
export interface Phase {
  readonly name: string;
  readonly ms: number;
  readonly wasmMiB: readonly number[];
  readonly heapMiB: number;
}

export interface MemoryResult {
  readonly parameters: number;
  readonly persistentBytesPerParameter: number;
  readonly losses: readonly number[];
  readonly phases: readonly Phase[];
  readonly ort: string;
}

export interface MemoryPage {
  run(spec: MemoryRun): Promise<MemoryResult>;
}

declare global {
  interface Window {
    lmoMemory?: MemoryPage;
    /** The WebAssembly memories made in the page (an init script collects them). */
    lmoWasmMemories?: WebAssembly.Memory[];
  }
}
