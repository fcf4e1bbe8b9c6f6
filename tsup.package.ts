/**
 * The build every published package shares (tsup: ESM + CJS + declarations for Node 20); each
 * package's tsup.config.ts names its entry points and the modules it leaves to its users.
 */
import { defineConfig, type Options } from 'tsup';

export function packageBuild(entry: Record<string, string>, external: NonNullable<Options['external']>): ReturnType<typeof defineConfig> {
  return defineConfig({ entry, format: ['esm', 'cjs'], dts: true, clean: true, target: 'node20', external });
}
