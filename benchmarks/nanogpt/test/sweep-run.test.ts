// One sweep run: what it reports, that it frees the training, and that only a
// diverged run becomes a result (NaN losses) while any other failure stops the sweep.
import { describe, expect, it } from 'vitest';
import { type GptModel, type RunOutcome } from '@lmo/gpt';
import { sweepRun } from '../src/bench/sweep-run.js';

function fakeModel(name: string) {
  const disposed: string[] = [];
  const model = { name } as unknown as GptModel<string>;
  return { model, disposed };
}

function outcome(disposed: string[]): Pick<RunOutcome<string>, 'result' | 'training'> {
  return {
    training: { dispose: async () => void disposed.push('training') } as unknown as RunOutcome<string>['training'],
    result: {
      finalValLoss: 2.5,
      bestValLoss: 2.4,
      evals: [
        { iter: 0, train_loss: 4.123456, val_loss: 4.176891 },
        { iter: 10, train_loss: 2.51234, val_loss: 2.49996 },
      ],
    } as unknown as RunOutcome<string>['result'],
  };
}

describe('sweepRun', () => {
  it('reports the losses and the rounded curve, and frees the training (its weights and optimizer)', async () => {
    const { model, disposed } = fakeModel('reference');
    const r = await sweepRun(model, async () => outcome(disposed));
    expect(r.final).toBe(2.5);
    expect(r.best).toBe(2.4);
    expect(r.evals).toEqual([
      { iter: 0, val_loss: 4.1769, train_loss: 4.1235 },
      { iter: 10, val_loss: 2.5, train_loss: 2.5123 },
    ]);
    expect(disposed).toEqual(['training']);
    expect(r.meta.backend).toBe('reference');
    expect(r.meta).not.toHaveProperty('ort_threads');
  });

  it('a diverged run is a result with NaN losses; any other error is thrown', async () => {
    const { model } = fakeModel('reference');
    const diverged = await sweepRun(model, () => Promise.reject(new Error('train loss is not finite at iteration 12: the run diverged')));
    expect(diverged.final).toBeNaN();
    expect(diverged.best).toBeNaN();
    expect(diverged.evals).toEqual([]);
    await expect(sweepRun(model, () => Promise.reject(new Error('out of memory')))).rejects.toThrow('out of memory');
  });

  it("records onnxruntime's thread count when NANOGPT_ORT_THREADS sets it", async () => {
    const previous = process.env['NANOGPT_ORT_THREADS'];
    process.env['NANOGPT_ORT_THREADS'] = '1';
    try {
      const { model, disposed } = fakeModel('onnxruntime');
      expect((await sweepRun(model, async () => outcome(disposed))).meta.ort_threads).toBe(1);
    } finally {
      if (previous === undefined) delete process.env['NANOGPT_ORT_THREADS'];
      else process.env['NANOGPT_ORT_THREADS'] = previous;
    }
  });
});
