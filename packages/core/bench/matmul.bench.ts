/**
 * GFLOP/s of the reference backend's blocked matmul against a plain i-k-j loop, side by side.
 *
 *   pnpm exec vitest bench --project core --run bench/matmul.bench.ts
 *
 * Besides vitest's table (hz = products per second), a summary in GFLOP/s (2·n³ / median time,
 * wall clock and process CPU time) is printed at the end. Informative only; nothing is asserted.
 */
import { afterAll, bench, describe } from 'vitest';
import { Random } from '../src/random.js';
import { matmul } from '../src/reference/index.js';
import { medians, timed } from './timing.js';

/** The textbook loop: C = A·B, row-major, i-k-j order. */
function naiveIkj(a: Float32Array, b: Float32Array, c: Float32Array, n: number): void {
  c.fill(0);
  for (let i = 0; i < n; i++) {
    const ci = i * n;
    for (let k = 0; k < n; k++) {
      const aik = a[ci + k]!;
      const bk = k * n;
      for (let j = 0; j < n; j++) c[ci + j]! += aik * b[bk + j]!;
    }
  }
}

const SIZES = [256, 512, 1024];
const VARIANTS = ['blocked A·B', 'blocked Aᵀ·Bᵀ', 'naive i-k-j'] as const;

for (const n of SIZES) {
  const rng = new Random(n);
  const a = Float32Array.from({ length: n * n }, () => rng.normal());
  const b = Float32Array.from({ length: n * n }, () => rng.normal());
  const c = new Float32Array(n * n);
  const sq = [n, n];
  const opts = n >= 1024 ? { time: 0, iterations: 3, warmupIterations: 1, warmupTime: 0 } : { time: 1500 };
  const run: Record<(typeof VARIANTS)[number], () => void> = {
    'blocked A·B': () => void matmul(a, sq, b, sq, { out: c }),
    'blocked Aᵀ·Bᵀ': () => void matmul(a, sq, b, sq, { out: c, transposeA: true, transposeB: true }),
    'naive i-k-j': () => naiveIkj(a, b, c, n),
  };
  describe(`matmul ${n}x${n}`, () => {
    for (const v of VARIANTS) bench(`${v} ${n}`, timed(`${v} ${n}`, run[v]), opts);
  });
}

afterAll(() => {
  const lines = ['', 'matmul GFLOP/s = 2·n³ / median time (wall | cpu):'];
  for (const n of SIZES) {
    const flop = 2 * n ** 3;
    const cells = VARIANTS.map((v) => {
      const m = medians(`${v} ${n}`);
      return `${v} ${(flop / m.wallMs / 1e6).toFixed(2)} | ${(flop / m.cpuMs / 1e6).toFixed(2)}`;
    });
    lines.push(`  ${String(n).padStart(4)}²   ${cells.join('    ')}`);
  }
  console.log(lines.join('\n'));
});
