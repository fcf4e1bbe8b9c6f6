#!/usr/bin/env node
// `pnpm nanogpt`: train nanoGPT (see src/cli/main.ts).
import { launch } from './launch.mjs';

await launch('cli/main.ts');
