/**
 * The tfjs backends the playground can offer, found in this browser: WebGPU, WebGL 2 and
 * WebAssembly. Everything is bundled with the site — the wasm binaries are hashed assets handed to
 * `setWasmPaths`, never fetched from a CDN.
 */
import * as tf from '@tensorflow/tfjs-core';
// Autodiff (tf.variableGrads) needs the gradient registrations; tfjs-core alone has none.
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import '@tensorflow/tfjs-backend-webgl';
// Registers 'webgpu' only if navigator.gpu exists when this module is evaluated.
import '@tensorflow/tfjs-backend-webgpu';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import wasmPlain from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm?url';
import wasmSimd from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm?url';
import wasmThreaded from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm?url';

setWasmPaths({
  'tfjs-backend-wasm.wasm': wasmPlain,
  'tfjs-backend-wasm-simd.wasm': wasmSimd,
  'tfjs-backend-wasm-threaded-simd.wasm': wasmThreaded,
});

export type BackendName = 'webgpu' | 'webgl' | 'wasm';

export interface BackendChoice {
  readonly name: BackendName;
  readonly label: string;
  /** A software emulation of a GPU (SwiftShader): it works, but slower than wasm. */
  readonly software: boolean;
}

interface GpuAdapterLike {
  readonly info?: { readonly isFallbackAdapter?: boolean; readonly architecture?: string };
}

async function webgpu(): Promise<BackendChoice | undefined> {
  const gpu = (navigator as unknown as { gpu?: { requestAdapter(): Promise<GpuAdapterLike | null> } }).gpu;
  if (!gpu || tf.findBackendFactory('webgpu') === null) return undefined;
  const adapter = await gpu.requestAdapter().catch(() => null);
  if (!adapter) return undefined;
  const software = adapter.info?.isFallbackAdapter === true || adapter.info?.architecture === 'swiftshader';
  return { name: 'webgpu', label: software ? 'WebGPU (software adapter)' : 'WebGPU', software };
}

function webgl(): BackendChoice | undefined {
  const gl = document.createElement('canvas').getContext('webgl2');
  if (!gl) return undefined;
  const info = gl.getExtension('WEBGL_debug_renderer_info');
  const renderer = info ? String(gl.getParameter(info.UNMASKED_RENDERER_WEBGL)) : '';
  const software = /swiftshader|llvmpipe|software/i.test(renderer);
  return { name: 'webgl', label: software ? 'WebGL (software renderer)' : 'WebGL', software };
}

/** The backends this browser offers, fastest first; software GPU emulations go after wasm. */
export async function availableBackends(): Promise<BackendChoice[]> {
  const found = [await webgpu(), webgl(), typeof WebAssembly === 'object' ? { name: 'wasm' as const, label: 'WebAssembly (CPU)', software: false } : undefined];
  const all = found.filter((b): b is BackendChoice => b !== undefined);
  return [...all.filter((b) => !b.software), ...all.filter((b) => b.software)];
}

/** Makes `name` tfjs's active backend. */
export async function useBackend(name: BackendName): Promise<void> {
  const ok = await tf.setBackend(name);
  if (!ok || tf.getBackend() !== name) throw new Error(`tfjs could not start its ${name} backend in this browser`);
  await tf.ready();
}
