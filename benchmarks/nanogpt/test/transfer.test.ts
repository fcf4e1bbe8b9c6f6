import { describe, expect, it } from 'vitest';
import { gridPoints, pendingPoints, pointKey, type TransferPlan, type TransferPoint } from '../src/bench/transfer.js';
import { bestLrs, bestLrTable, lrChartLabel, lrLabel, lrShift, parabolaVertex, shiftSummary, transferSvg, type TransferRecord } from '../src/report/transfer-report.js';

const plan: TransferPlan = {
  widths: [64, 128],
  headDim: 32,
  nLayer: 4,
  blockSize: 64,
  batchSize: 12,
  optimizers: ['scion', 'adamw'],
  grids: { scion: [2 ** -9, 2 ** -8, 2 ** -7], adamw: [5e-4, 1e-3, 2e-3] },
  seed: 1337,
  extraSeeds: 2,
  maxExtend: 2,
  iters: 500,
  evalIters: 50,
};

function rec(optimizer: string, width: number, lr: number, loss: number | null, seed = 1337, over: Partial<TransferRecord> = {}): TransferRecord {
  return {
    kind: 'transfer',
    optimizer,
    width,
    n_head: width / 32,
    n_layer: 4,
    block_size: 64,
    batch_size: 12,
    lr,
    seed,
    iters: 500,
    eval_iters: 50,
    final_val_loss: loss,
    best_val_loss: loss,
    seconds: 1,
    backend: 'onnxruntime',
    ...over,
  };
}

/** Records for a whole grid of one curve, losses given per grid lr. */
const curve = (optimizer: 'scion' | 'adamw', width: number, losses: (number | null)[]): TransferRecord[] =>
  plan.grids[optimizer]!.map((lr, i) => rec(optimizer, width, lr, losses[i]!));

const short = (p: TransferPoint): string => `${p.optimizer}/${p.width}/${p.lr}/${p.seed}/${p.phase}`;

describe('transfer sweep plan', () => {
  it('orders the grid centre-out so every width gets the middle lr first', () => {
    const pts = gridPoints(plan);
    expect(pts).toHaveLength(2 * 3 * 2);
    expect(pts.slice(0, 4).map(short)).toEqual([
      `scion/64/${2 ** -8}/1337/grid`,
      `scion/128/${2 ** -8}/1337/grid`,
      'adamw/64/0.001/1337/grid',
      'adamw/128/0.001/1337/grid',
    ]);
    expect(pts.every((p) => p.nHead === p.width / 32)).toBe(true);
  });

  it('with no records, everything pending is the grid', () => {
    expect(pendingPoints(plan, []).map(short)).toEqual(gridPoints(plan).map(short));
  });

  it('skips finished points (resumption) and ignores records of other lengths', () => {
    const done = [rec('scion', 64, 2 ** -8, 2.1), rec('scion', 128, 2 ** -8, 2.0, 1337, { iters: 1000 })];
    const pending = pendingPoints(plan, done).map(short);
    expect(pending).not.toContain(`scion/64/${2 ** -8}/1337/grid`);
    expect(pending).toContain(`scion/128/${2 ** -8}/1337/grid`);
    expect(pending).toHaveLength(11);
  });

  it('runs the extra seeds at the best lr once a bracketed grid is complete', () => {
    const records = [...curve('scion', 64, [2.2, 2.1, 2.3])];
    const later = pendingPoints(plan, records).filter((p) => p.phase !== 'grid');
    expect(later.map(short)).toEqual([`scion/64/${2 ** -8}/1338/seed`, `scion/64/${2 ** -8}/1339/seed`]);
    // one seed done: only the other remains
    const more = pendingPoints(plan, [...records, rec('scion', 64, 2 ** -8, 2.12, 1338)]).filter((p) => p.phase !== 'grid');
    expect(more.map(short)).toEqual([`scion/64/${2 ** -8}/1339/seed`]);
  });

  it('extends a grid whose minimum is at an edge by the grid ratio, at most maxExtend per side', () => {
    const up = pendingPoints(plan, curve('adamw', 128, [2.3, 2.2, 2.1])).filter((p) => p.phase !== 'grid');
    expect(up.map(short)).toEqual(['adamw/128/0.004/1337/extend']);
    const twice = [...curve('adamw', 128, [2.3, 2.2, 2.1]), rec('adamw', 128, 4e-3, 2.05), rec('adamw', 128, 8e-3, 2.0)];
    // both extensions used: the best (8e-3) gets its seeds even though it is still at the edge
    expect(pendingPoints(plan, twice).filter((p) => p.phase !== 'grid').map(short)).toEqual(['adamw/128/0.008/1338/seed', 'adamw/128/0.008/1339/seed']);
    const down = pendingPoints(plan, curve('scion', 128, [2.0, 2.1, 2.2])).filter((p) => p.phase !== 'grid');
    expect(down.map(short)).toEqual([`scion/128/${2 ** -10}/1337/extend`]);
  });

  it('treats a diverged run as worse than any finite one, and extends down when all diverged', () => {
    const edge = [...curve('scion', 64, [2.3, 2.2, 2.1]), rec('scion', 64, 2 ** -6, null)];
    expect(pendingPoints(plan, edge).filter((p) => p.phase !== 'grid').map(short)).toEqual([
      `scion/64/${2 ** -7}/1338/seed`,
      `scion/64/${2 ** -7}/1339/seed`,
    ]);
    const all = curve('scion', 64, [null, null, null]);
    expect(pendingPoints(plan, all).filter((p) => p.phase !== 'grid').map(short)).toEqual([`scion/64/${2 ** -10}/1337/extend`]);
  });

  it('a sparse width starts from the middle of the grid and extends only to bracket its minimum', () => {
    const four: TransferPlan = { ...plan, widths: [64, 512], optimizers: ['scion'], grids: { scion: [2 ** -9, 2 ** -8, 2 ** -7, 2 ** -6] }, sparseWidths: [512] };
    expect(gridPoints(four).filter((p) => p.width === 512).map((p) => p.lr)).toEqual([2 ** -8, 2 ** -7]);
    expect(gridPoints(four).filter((p) => p.width === 64)).toHaveLength(4);
    const mid = [rec('scion', 512, 2 ** -8, 2.0, 1337, { n_head: 16 }), rec('scion', 512, 2 ** -7, 2.1, 1337, { n_head: 16 })];
    expect(pendingPoints(four, mid).filter((p) => p.width === 512).map(short)).toEqual([`scion/512/${2 ** -9}/1337/extend`]);
    const bracketed = [...mid, rec('scion', 512, 2 ** -9, 2.05, 1337, { n_head: 16 })];
    expect(pendingPoints(four, bracketed).filter((p) => p.width === 512).map(short)).toEqual([`scion/512/${2 ** -8}/1338/seed`, `scion/512/${2 ** -8}/1339/seed`]);
  });

  it('keys points by optimizer, width, lr, seed, length and eval size', () => {
    const p: TransferPoint = { optimizer: 'scion', width: 64, nHead: 2, lr: 0.5, seed: 3, phase: 'grid' };
    expect(pointKey(p, plan)).not.toBe(pointKey({ ...p, seed: 4 }, plan));
    expect(pointKey(p, plan)).not.toBe(pointKey(p, { ...plan, iters: 1000 }));
  });
});

describe('transfer report', () => {
  const records = [
    ...curve('scion', 64, [2.2, 2.1, 2.3]),
    rec('scion', 64, 2 ** -8, 2.2, 1338),
    rec('scion', 64, 2 ** -8, 2.0, 1339),
    ...curve('scion', 128, [2.0, 2.05, 2.4]),
    ...curve('adamw', 64, [2.5, 2.4, 2.35]),
    ...curve('adamw', 128, [2.3, 2.2, null]),
  ];

  it('finds the best lr per width, whether it is bracketed, and the seeds there', () => {
    const best = bestLrs(records, 1337);
    const row = (o: string, w: number) => best.find((b) => b.optimizer === o && b.width === w)!;
    expect(row('scion', 64)).toMatchObject({ lr: 2 ** -8, loss: 2.1, bracketed: true, seedLosses: [2.1, 2.2, 2.0], nHead: 2 });
    expect(row('scion', 128)).toMatchObject({ lr: 2 ** -9, bracketed: false });
    expect(row('adamw', 64)).toMatchObject({ lr: 2e-3, bracketed: false });
    expect(row('adamw', 128)).toMatchObject({ lr: 1e-3, bracketed: true });
    // mean ± sd of 2.1, 2.2, 2.0: 2.1 ± 0.1
    // parabola through (−9, 2.2), (−8, 2.1), (−7, 2.3): vertex at −8 − ½·(2.2 − 2.3)/(2.2 − 2·2.1 + 2.3) = −8.1667
    expect(row('scion', 64).vertexLog2).toBeCloseTo(-8 - 1 / 6, 12);
    expect(row('scion', 128).vertexLog2).toBeUndefined();
    expect(bestLrTable(best)).toContain('| scion | 64 | 2^-8 | 2.1000, 2.2000, 2.0000 | 2.1000 ± 0.1000 | -8.17 |');
    expect(bestLrTable(best)).toContain("| scion | 128 | 2^-9 (at the grid's edge) | 2.0000 | – | – |");
  });

  it('labels lrs as powers of two where they are, else in short exponent form', () => {
    expect(lrLabel(2 ** -8)).toBe('2^-8');
    expect(lrChartLabel(2 ** -10)).toBe('2⁻¹⁰');
    expect(lrLabel(1e-3)).toBe('1e-3');
    expect(lrLabel(2.5e-4)).toBe('2.5e-4');
    expect(lrChartLabel(0.016)).toBe('1.6e-2');
  });

  it('finds the vertex of a parabola through three unequally spaced points', () => {
    const f = (x: number) => (x - 0.3) ** 2 + 1;
    expect(parabolaVertex([[-1, f(-1)], [0, f(0)], [2, f(2)]])).toBeCloseTo(0.3, 12);
    expect(parabolaVertex([[0, 1], [1, 2], [2, 3]])).toBeUndefined();
  });

  it('measures how far the optimum moves (max/min of the best lrs)', () => {
    const best = bestLrs(records, 1337);
    expect(lrShift(best.filter((b) => b.optimizer === 'scion'))).toEqual({ factor: 2, octaves: 1 });
    expect(lrShift(best.filter((b) => b.optimizer === 'adamw')).factor).toBeCloseTo(2, 12);
    expect(shiftSummary(best)[0]).toContain('scion: best lr 64: 2^-8, 128: 2^-9 — a spread of 2× (1 octave) across widths');
  });

  it('draws one panel per optimizer, a curve per width, on a log lr axis', () => {
    const svg = transferSvg(records, 1337, (o) => `${o} panel`);
    expect(svg.match(/<svg /g)).toHaveLength(3); // the outer document and two panels
    expect(svg.match(/<path /g)).toHaveLength(4);
    expect(svg).toContain('scion panel');
    expect(svg).not.toContain('NaN');
    // log axis: the three scion lrs (ratio 2) are equally spaced
    const firstPath = /<path d="([^"]+)"/.exec(svg)![1]!;
    const xs = [...firstPath.matchAll(/[ML]([\d.]+),/g)].map((m) => Number(m[1]));
    expect(xs).toHaveLength(3);
    expect(xs[1]! - xs[0]!).toBeCloseTo(xs[2]! - xs[1]!, 0);
  });
});
