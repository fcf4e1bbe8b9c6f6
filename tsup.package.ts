/**
 * The build every published package shares (tsup: ESM + CJS + declarations for Node 20). The entry
 * points are the package.json's (each `exports` subpath with an `@lmo/source`); each package's
 * tsup.config.ts names only the modules it leaves to its users.
 */
import { defineConfig, type Options } from 'tsup';
import { packageEntries } from './scripts/package-entries.mjs';

export function packageBuild(external: NonNullable<Options['external']>): ReturnType<typeof defineConfig> {
  const entry = Object.fromEntries(packageEntries(process.cwd()).map((e) => [e.name, e.source]));
  return defineConfig({ entry, format: ['esm', 'cjs'], dts: true, clean: true, target: 'node20', external });
}
