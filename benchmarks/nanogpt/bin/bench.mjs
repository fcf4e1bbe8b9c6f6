#!/usr/bin/env node
// `pnpm bench`: the parity, speed, PyTorch, sweep and handoff benchmarks (see src/bench/main.ts).
import { launch } from './launch.mjs';

await launch('bench/main.ts');
