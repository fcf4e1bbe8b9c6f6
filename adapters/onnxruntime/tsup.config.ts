import { defineConfig } from 'tsup';

export default defineConfig({
  entry: { index: 'src/index.ts', web: 'src/web.ts', onnx: 'src/onnx/index.ts' },
  format: ['esm', 'cjs'],
  dts: true,
  sourcemap: true,
  clean: true,
  target: 'node20',
  external: ['@lmo/core', 'onnxruntime-node', 'onnxruntime-web', 'onnxruntime-common'],
});
