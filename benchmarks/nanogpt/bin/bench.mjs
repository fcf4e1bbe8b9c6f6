#!/usr/bin/env node
// `pnpm bench`: parity, speed and sweep benchmarks (see src/bench/main.ts).
import { launch } from './launch.mjs';

await launch('bench/main.ts');
