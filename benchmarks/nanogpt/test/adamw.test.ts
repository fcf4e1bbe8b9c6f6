import { referenceBackend, type RefTensor } from '@lmo/core/reference';
import { describe, expect, it } from 'vitest';
import { AdamW } from '../src/optim/adamw.js';

const b = referenceBackend;
const t = (v: number[], shape: number[]): RefTensor => b.fromArray(Float32Array.from(v), shape);

describe('AdamW (nanoGPT / torch semantics)', () => {
  it('matches a hand-computed first and second step, with clipping and 2-D-only decay', () => {
    const w = t([0.5, -1, 2, 0], [2, 2]);
    const g1 = t([0.1, 0.2, -0.3, 0.4], [4]);
    const params = new Map([['w', w], ['g', g1]]);
    const opt = new AdamW(b, params, { lr: 0.1 });
    // step 1: global norm √(3² + 4² + 0.1² + ...) > 1, so gradients are scaled by 1/(‖g‖ + 1e-6)
    const gw = [3, 0, 0, -4];
    const gg = [0, 0, 0, 0.5];
    opt.step(new Map([['w', t(gw, [2, 2])], ['g', t(gg, [4])]]));
    const norm = Math.sqrt(9 + 16 + 0.25);
    const c = 1 / (norm + 1e-6);
    // t = 1: m̂ = c·g, v̂ = c²·g², update = lr·c·g/(c·|g| + eps) → lr·sign(g) (0 where g = 0)
    const expectW = [0.5, -1, 2, 0].map((p, i) => {
      const m = 0.1 * c * gw[i]!;
      const v = 0.01 * (c * gw[i]!) ** 2;
      return p * (1 - 0.1 * 0.1) - (0.1 / 0.1) * (m / (Math.sqrt(v) / Math.sqrt(0.01) + 1e-8));
    });
    const expectG = [0.1, 0.2, -0.3, 0.4].map((p, i) => {
      const m = 0.1 * c * gg[i]!;
      const v = 0.01 * (c * gg[i]!) ** 2;
      return p - (0.1 / 0.1) * (m / (Math.sqrt(v) / Math.sqrt(0.01) + 1e-8)); // no decay on 1-D
    });
    expect([...w.data].map((x) => +x.toFixed(6))).toEqual(expectW.map((x) => +Math.fround(x).toFixed(6)));
    expect([...g1.data].map((x) => +x.toFixed(6))).toEqual(expectG.map((x) => +Math.fround(x).toFixed(6)));
    expect(w.data[0]).toBeCloseTo(0.5 * 0.99 - 0.1, 6);

    // step 2, small gradients (no clipping): m, v carry over with bias correction 1 − βᵗ
    const w1 = [...w.data];
    const gw2 = [0.01, -0.02, 0, 0.03];
    opt.step(new Map([['w', t(gw2, [2, 2])], ['g', t([0, 0, 0, 0], [4])]]));
    const expect2 = w1.map((p, i) => {
      const m = 0.9 * (0.1 * c * gw[i]!) + 0.1 * gw2[i]!;
      const v = 0.99 * (0.01 * (c * gw[i]!) ** 2) + 0.01 * gw2[i]! ** 2;
      const bc1 = 1 - 0.9 ** 2;
      const bc2 = 1 - 0.99 ** 2;
      return p * (1 - 0.01) - (0.1 / bc1) * (m / (Math.sqrt(v) / Math.sqrt(bc2) + 1e-8));
    });
    for (let i = 0; i < 4; i++) expect(w.data[i]).toBeCloseTo(expect2[i]!, 5);
    expect(opt.stepCount).toBe(2);
  });
});
