import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const page = (name: string): string => fileURLToPath(new URL(`./pages/${name}.html`, import.meta.url));

/** One page per adapter, built into dist/ with relative URLs; wasm binaries become hashed assets. */
export default defineConfig({
  root: fileURLToPath(new URL('./pages', import.meta.url)),
  base: './',
  logLevel: 'warn',
  build: {
    outDir: fileURLToPath(new URL('./dist', import.meta.url)),
    emptyOutDir: true,
    target: 'es2022',
    // tfjs and gpu.js are large; that is expected here.
    chunkSizeWarningLimit: 8192,
    rolldownOptions: {
      input: { tfjs: page('tfjs'), gpujs: page('gpujs'), onnxruntime: page('onnxruntime'), training: page('training'), examples: page('examples'), memory: page('memory') },
    },
  },
});
