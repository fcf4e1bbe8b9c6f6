// Runs one of the benchmark's TypeScript entry points in this Node process (no wrapper process in
// between, so signals sent to it reach the program), with the package's tsconfig paths pointing
// `@lmo/*` at the workspace sources. The working directory stays the user's: relative paths on
// the command line mean what the user typed.
import { register } from 'tsx/esm/api';

export async function launch(entry) {
  register({ tsconfig: new URL('../tsconfig.json', import.meta.url).pathname });
  await import(new URL(`../src/${entry}`, import.meta.url).href);
}
