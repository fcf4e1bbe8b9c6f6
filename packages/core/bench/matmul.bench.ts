/**
 * GFLOP/s of the reference backend's blocked matmul against a plain i-k-j loop.
 *
 *   pnpm exec vitest bench --project core --run
 *
 * Besides vitest's table (hz = products per second), a summary in GFLOP/s (2·n³ / median time) is
 * printed at the end. Timings are informative only; nothing is asserted.
 */
import { afterAll, bench, describe } from 'vitest';
import { Random } from '../src/random.js';
import { matmul } from '../src/reference/index.js';

/** The textbook loop every JS project starts with: C = A·B, row-major, i-k-j order. */
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

const samples = new Map<string, number[]>();
function timed(key: string, fn: () => void): () => void {
  return () => {
    const t0 = performance.now();
    fn();
    const dt = performance.now() - t0;
    let list = samples.get(key);
    if (list === undefined) samples.set(key, (list = []));
    list.push(dt);
  };
}

function median(xs: number[]): number {
  const s = [...xs].sort((x, y) => x - y);
  return s[Math.floor(s.length / 2)]!;
}

const SIZES = [256, 512, 1024];
for (const n of SIZES) {
  const rng = new Random(n);
  const a = Float32Array.from({ length: n * n }, () => rng.normal());
  const b = Float32Array.from({ length: n * n }, () => rng.normal());
  const c = new Float32Array(n * n);
  const opts = n >= 1024 ? { time: 0, iterations: 3, warmupIterations: 1, warmupTime: 0 } : { time: 1500 };
  describe(`matmul ${n}x${n}`, () => {
    bench(`blocked ${n}`, timed(`blocked ${n}`, () => void matmul(a, [n, n], b, [n, n], { out: c })), opts);
    bench(`blocked ${n} A·Bᵀ`, timed(`blocked ${n} A·Bᵀ`, () => void matmul(a, [n, n], b, [n, n], { out: c, transposeB: true })), opts);
    bench(`naive i-k-j ${n}`, timed(`naive i-k-j ${n}`, () => naiveIkj(a, b, c, n)), opts);
  });
}

afterAll(() => {
  const lines = ['', 'matmul GFLOP/s (2·n³ / median ms, warmup included in samples):'];
  for (const n of SIZES) {
    const flop = 2 * n ** 3;
    const row = [...samples.entries()]
      .filter(([k]) => k.endsWith(` ${n}`) || k.includes(` ${n} `))
      .map(([k, v]) => `${k.replace(` ${n}`, '')}: ${(flop / median(v) / 1e6).toFixed(2)}`);
    lines.push(`  ${n}²  ${row.join('   ')}`);
  }
  console.log(lines.join('\n'));
});
