import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LmoError, colNorm, createOptimizer, decodeCheckpoint, decodeSafetensors, encodeCheckpoint, encodeSafetensors, linearWarmup, scion, sign, spectral, type LmoErrorCode } from '@lmo/core';
import { acquireLock, writeFileAtomic } from '@lmo/core/node';
import { referenceBackend as b } from '@lmo/core/reference';
import { describe, expect, it, vi } from 'vitest';
import { safeStep } from '../examples/errors.js';

const t = (shape: number[], fill = 0) => b.fromArray(new Float32Array(shape.reduce((a, d) => a * d, 1)).fill(fill), shape);
function codeOf(fn: () => unknown): LmoErrorCode | undefined {
  try {
    fn();
  } catch (e) {
    if (e instanceof LmoError) return e.code;
    throw e;
  }
  return undefined;
}

describe('guide/errors.md', () => {
  it('documents every LmoErrorCode of packages/core/src/errors.ts', () => {
    const source = readFileSync(new URL('../../packages/core/src/errors.ts', import.meta.url), 'utf8');
    const codes = [...source.matchAll(/\|\s*'([A-Z_]+)'/g)].map((m) => m[1]!);
    expect(codes.length).toBeGreaterThanOrEqual(10);
    const page = readFileSync(new URL('../guide/errors.md', import.meta.url), 'utf8');
    for (const code of codes) expect(page, code).toContain(`## \`${code}\``);
  });

  it('each code is raised where the page says', () => {
    const w = () => ({ w: t([2, 3]) });
    expect(codeOf(() => scion(b, w(), { lr: -1 }))).toBe('INVALID_HYPERPARAMETER');
    expect(codeOf(() => scion(b, w(), { lr: 0.1, momentum: 0 }))).toBe('INVALID_HYPERPARAMETER');
    expect(codeOf(() => spectral({ steps: 0 }))).toBe('UNKNOWN_NORM');
    expect(codeOf(() => colNorm({ transpose: 'yes' as unknown as boolean }))).toBe('UNKNOWN_NORM');
    expect(codeOf(() => scion(b, { bias: t([3]) }, { lr: 0.1, norm: spectral() }))).toBe('UNSUPPORTED_SHAPE');
    expect(codeOf(() => scion(b, w(), { lr: 0.1, groups: [{ match: 'x*', norm: sign() }] }))).toBe('GROUP_ROUTING');
    const opt = createOptimizer(b, w(), { lr: 0.1, norm: sign() });
    expect(codeOf(() => opt.step({}))).toBe('MISSING_GRADIENT');
    expect(codeOf(() => opt.step({ w: t([2, 3]), v: t([1]) }))).toBe('UNKNOWN_PARAMETER');
    expect(codeOf(() => opt.step({ w: t([3, 2]) }))).toBe('SHAPE_MISMATCH');
    expect(codeOf(() => opt.step({ w: t([2, 3], NaN) }))).toBe('NON_FINITE_GRADIENT');
    expect(codeOf(() => opt.learningRate('nope'))).toBe('UNKNOWN_PARAMETER');
    expect(codeOf(() => opt.loadState({ format: 'lmo-optimizer-state', version: 99, step: 0, parameters: [] }))).toBe('STATE_MISMATCH');
    const bad = createOptimizer(b, w(), { lr: 0.1, norm: sign(), schedule: () => NaN });
    expect(codeOf(() => bad.step({ w: t([2, 3]) }))).toBe('INVALID_HYPERPARAMETER');
    expect(codeOf(() => linearWarmup(-1))).toBe('INVALID_HYPERPARAMETER');
    expect(codeOf(() => decodeSafetensors(encodeSafetensors({}).subarray(0, 12)))).toBe('INVALID_SAFETENSORS');
    expect(codeOf(() => encodeSafetensors({ w: { dtype: 'F32', shape: [2], data: new Float32Array(3) } }))).toBe('INVALID_SAFETENSORS');
    expect(codeOf(() => decodeCheckpoint(encodeSafetensors({})))).toBe('INVALID_CHECKPOINT');
    expect(codeOf(() => encodeCheckpoint({ weights: {}, state: opt.getState() as never, metadata: { sha256: '' } }))).toBe('INVALID_CHECKPOINT');
    opt.dispose();
    expect(codeOf(() => opt.step({ w: t([2, 3]) }))).toBe('BACKEND');
    const dir = mkdtempSync(join(tmpdir(), 'docs-errors-'));
    expect(codeOf(() => writeFileAtomic(join(dir, 'missing', 'file'), ''))).toBe('WRITE_FAILED');
    const lock = acquireLock(join(dir, 'lock'));
    expect(codeOf(() => acquireLock(join(dir, 'lock')))).toBe('LOCKED');
    lock.release();
    expect(codeOf(() => scion(b, w(), { lr: 0.1, weight_decay: 0.1 } as never))).toBe('INVALID_HYPERPARAMETER');
    const shared = t([2, 3]);
    expect(codeOf(() => scion(b, { a: shared, b: shared }, { lr: 0.1 }))).toBe('INVALID_HYPERPARAMETER');
    expect(codeOf(() => createOptimizer(b, {}, { lr: 0.1 }).step({}))).toBe('MISSING_GRADIENT');
    const { isTensor: _isTensor, ...legacy } = b;
    void _isTensor;
    expect(codeOf(() => scion(legacy as never, w(), { lr: 0.1 }))).toBe('BACKEND');
  });

  it('examples/errors.ts skips a NaN batch and steps otherwise', async () => {
    const opt = createOptimizer(b, { w: t([2, 3]) }, { lr: 0.1, norm: sign() });
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    expect(await safeStep(opt, { w: t([2, 3], NaN) })).toBe('skipped');
    expect(warn).toHaveBeenCalledOnce();
    warn.mockRestore();
    expect(await safeStep(opt, { w: t([2, 3], 1) })).toBe('stepped');
    await expect(safeStep(opt, { w: t([3, 2], 1) })).rejects.toThrow(/gradients do not match the model/);
  });
});
