import { describe, expect, it } from 'vitest';
import { FIRST, LAST, handoffSvg, handoffTable, parseHandoffRecords, summarizeHandoff, type HandoffRecord, type HandoffRunKind } from '../src/report/handoff-report.js';

/** A run of 100 iterations (from `at`, evaluated at 50 and 100) whose losses are `base(i)·(1 + offset(i))`. */
function record(run: HandoffRunKind, seed: number, at: number | null, offset: (i: number) => number, finalVal: number): HandoffRecord {
  const from = at ?? 0;
  const base = (i: number): number => 4 - i / 50;
  return {
    handoff: true,
    optimizer: 'scion',
    lr: 2 ** -8,
    seed,
    run,
    handoff_at: at,
    lmo_backend: 'onnxruntime',
    processes: run.includes('ddp') ? 2 : 1,
    iters: 100,
    seconds: 1,
    losses: Array.from({ length: 100 - from }, (_, k) => [from + k, base(from + k) * (1 + offset(from + k))] as const),
    evals: [...(at === null ? [[0, 4, 4] as const] : []), [50, base(50), base(50) * (1 + offset(50))], [100, finalVal - 0.1, finalVal]],
  };
}

describe('the handoff report', () => {
  const records = [
    record('lmo', 1, null, () => 0, 2.0),
    record('lmo→torch', 1, 50, (i) => 1e-6 * (i - 49), 2.01),
    record('lmo', 2, null, () => 0, 2.1),
    record('lmo', 3, null, () => 0, 2.3),
  ];

  it('compares each handed-over run with the run it continues, and places its final loss against the seeds', () => {
    const [s] = summarizeHandoff(parseHandoffRecords(records.map((r) => JSON.stringify(r)).join('\n') + '\nnot json\n{"other": 1}\n'));
    expect(s!.seeds).toEqual([[1, 2.0], [2, 2.1], [3, 2.3]]);
    expect(s!.mean).toBeCloseTo(6.4 / 3, 12);
    expect(s!.sd).toBeCloseTo(Math.sqrt(((2 - 6.4 / 3) ** 2 + (2.1 - 6.4 / 3) ** 2 + (2.3 - 6.4 / 3) ** 2) / 2), 12);
    expect(s!.range).toBeCloseTo(0.3, 12);
    expect(s!.comparisons).toHaveLength(1);
    const c = s!.comparisons[0]!;
    expect([c.run, c.reference, c.handoffAt]).toEqual(['lmo→torch', 'lmo', 50]);
    // relative differences 1e-6·(i − 49): the first FIRST steps after 50 reach 1e-6·FIRST, the last LAST average 1e-6·(mean of i − 49)
    expect(c.firstSteps).toBeCloseTo(1e-6 * FIRST, 12);
    expect(c.atHandoff).toBeCloseTo(1e-6, 12);
    expect(c.lastSteps).toBeCloseTo(1e-6 * (100 - LAST / 2 - 0.5 - 49), 12);
    expect([c.finalVal, c.referenceFinalVal]).toEqual([2.01, 2.0]);
    const table = handoffTable(s!);
    expect(table).toContain('seeds 1, 2, 3: final val loss 2.0000, 2.1000, 2.3000 (mean 2.1333, sd 0.1528, range 0.3000)');
    expect(table).toContain('| lmo → PyTorch | lmo | 50 | 1.0e-6 | 5.0e-6 |');
    expect(table).toContain('| 2.0100 | +1.0e-2 |');
  });

  it('plots the loss curves and the relative difference per iteration', () => {
    const svg = handoffSvg(records, 'scion');
    expect(svg.match(/<svg /g)!.length).toBe(3); // the outer document and its two charts
    expect(svg).toContain('lmo → PyTorch vs lmo');
    expect(svg).not.toContain('NaN');
  });
});
