#!/usr/bin/env node
// Two checkouts of the repository side by side on one machine: `pnpm bench speed` on onnxruntime
// with AdamW and Scion, run in each checkout in turn (the order alternating every round, so that a
// drift in the machine's load falls on both), and the ratio new / old of the ms per training
// iteration (forward+backward plus the optimizer's step) — wall clock, and the CPU time the process
// used, which other work on a shared machine disturbs less. Each checkout needs its dependencies
// installed (`pnpm install`); the corpus is found as `pnpm nanogpt` finds it (LMO_DATA, …).
//
//   node benchmarks/nanogpt/scripts/speed-compare.mjs --old ../lmo-main --new . [--rounds 6] [--iters 10] [--warmup 2] [--json FILE]
//
// Prints one line per run and per round, then per optimizer the median over the rounds of the
// per-round ratios, and the ratio of the medians.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    old: { type: 'string' },
    new: { type: 'string', default: '.' },
    rounds: { type: 'string', default: '6' },
    iters: { type: 'string', default: '10' },
    warmup: { type: 'string', default: '2' },
    optimizers: { type: 'string', default: 'adamw,scion' },
    json: { type: 'string' },
  },
});
if (values.old === undefined) {
  console.error('speed-compare: --old <checkout> is required (and --new, default .)');
  process.exit(2);
}
const sides = { old: resolve(values.old), new: resolve(values.new) };
const rounds = Number(values.rounds);
const optimizers = values.optimizers.split(',');
const out = mkdtempSync(join(tmpdir(), 'speed-compare-'));

/** One `pnpm bench speed` in `dir`: per optimizer, ms per iteration (wall, CPU). */
function speed(side, round) {
  const json = join(out, `${side}-${round}.json`);
  const args = ['bench', 'speed', '--backends', 'onnxruntime', '--optimizers', optimizers.join(','), '--iters', values.iters, '--warmup', values.warmup, '--json', json];
  const r = spawnSync('pnpm', args, { cwd: sides[side], encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`pnpm ${args.join(' ')} in ${sides[side]} failed (${r.status}):\n${r.stderr}${r.stdout}`);
  const row = JSON.parse(readFileSync(json, 'utf8')).rows.find((x) => x.backend === 'onnxruntime');
  const perIter = Object.fromEntries(optimizers.map((o) => [o, { wall: row.ms_fwd_bwd + row.optimizers[o].ms, cpu: row.cpu_ms_fwd_bwd + row.optimizers[o].cpu_ms }]));
  console.log(`round ${round} ${side}: ${optimizers.map((o) => `${o} ${perIter[o].wall.toFixed(1)} ms (CPU ${perIter[o].cpu.toFixed(1)})`).join(', ')}`);
  return perIter;
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 === 1 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

const runs = { old: [], new: [] };
const ratios = Object.fromEntries(optimizers.map((o) => [o, { wall: [], cpu: [] }]));
const loadBefore = loadavg()[0];
for (let round = 1; round <= rounds; round++) {
  for (const side of round % 2 === 1 ? ['old', 'new'] : ['new', 'old']) runs[side].push(speed(side, round));
  for (const o of optimizers) {
    for (const k of ['wall', 'cpu']) ratios[o][k].push(runs.new.at(-1)[o][k] / runs.old.at(-1)[o][k]);
  }
  console.log(`round ${round} new/old: ${optimizers.map((o) => `${o} ${ratios[o].wall.at(-1).toFixed(3)} (CPU ${ratios[o].cpu.at(-1).toFixed(3)})`).join(', ')}`);
}

const summary = Object.fromEntries(
  optimizers.map((o) => {
    const med = (side, k) => median(runs[side].map((r) => r[o][k]));
    return [o, {
      old_ms: med('old', 'wall'), new_ms: med('new', 'wall'), old_cpu_ms: med('old', 'cpu'), new_cpu_ms: med('new', 'cpu'),
      ratio_of_medians: med('new', 'wall') / med('old', 'wall'), cpu_ratio_of_medians: med('new', 'cpu') / med('old', 'cpu'),
      median_ratio: median(ratios[o].wall), median_cpu_ratio: median(ratios[o].cpu),
      round_ratios: ratios[o].wall, round_cpu_ratios: ratios[o].cpu,
    }];
  }),
);
console.log('');
for (const [o, s] of Object.entries(summary)) {
  console.log(
    `${o}: old ${s.old_ms.toFixed(1)} ms (CPU ${s.old_cpu_ms.toFixed(1)}), new ${s.new_ms.toFixed(1)} ms (CPU ${s.new_cpu_ms.toFixed(1)}) per iteration; ` +
      `new/old ${s.ratio_of_medians.toFixed(3)} (CPU ${s.cpu_ratio_of_medians.toFixed(3)}), median of the rounds' ratios ${s.median_ratio.toFixed(3)} (CPU ${s.median_cpu_ratio.toFixed(3)})`,
  );
}
if (values.json) {
  const machine = { cpus: cpus().length, cpu_model: cpus()[0]?.model ?? '', node: process.version, load_average_before: loadBefore, load_average_after: loadavg()[0] };
  writeFileSync(resolve(values.json), `${JSON.stringify({ command: `node benchmarks/nanogpt/scripts/speed-compare.mjs ${process.argv.slice(2).join(' ')}`, sides, rounds, iters: Number(values.iters), warmup: Number(values.warmup), machine, summary }, null, 1)}\n`);
}
