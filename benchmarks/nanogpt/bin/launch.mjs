// Runs one of the benchmark's TypeScript entry points in this Node process (no wrapper process in
// between, so signals sent to it reach the program), with `@lmo/*` resolved to the workspace
// sources (./source-conditions.mjs). The working directory stays the user's: relative paths on the
// command line mean what the user typed.
import { register as registerHooks } from 'node:module';
import { register } from 'tsx/esm/api';

export async function launch(entry) {
  register({ tsconfig: new URL('../tsconfig.json', import.meta.url).pathname });
  registerHooks('./source-conditions.mjs', import.meta.url);
  await import(new URL(`../src/${entry}`, import.meta.url).href);
}
