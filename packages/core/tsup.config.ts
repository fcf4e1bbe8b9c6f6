import { defineConfig } from 'tsup';

export default defineConfig({
  entry: { index: 'src/index.ts', reference: 'src/reference/index.ts', testing: 'src/testing/index.ts' },
  format: ['esm', 'cjs'],
  dts: true,
  clean: true,
  target: 'node20',
  external: ['vitest'],
});
