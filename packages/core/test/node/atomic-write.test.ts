// A write that fails (a full disk, a file system gone read-only) names the file it was writing, and
// leaves the previous file whole.
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import type { OptimizerState } from '../../src/optimizer/state.js';
import { readCheckpointFile, writeCheckpointFile, writeFileAtomic } from '../../src/node/index.js';

const failWith = vi.hoisted(() => ({ code: undefined as string | undefined }));
vi.mock('node:fs', async (importOriginal) => {
  const fs = await importOriginal<typeof import('node:fs')>();
  return {
    ...fs,
    writeSync: (...args: Parameters<typeof fs.writeSync>) => {
      if (failWith.code === 'ENOSPC') throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC', errno: -28, syscall: 'write' });
      if (failWith.code === 'EROFS') throw Object.assign(new Error("EROFS: read-only file system, write"), { code: 'EROFS', errno: -30, syscall: 'write' });
      return (fs.writeSync as (...a: unknown[]) => number)(...args);
    },
  };
});

describe('write errors', () => {
  it.each([
    ['ENOSPC', 'no space left on device (ENOSPC)'],
    ['EROFS', 'read-only file system (EROFS)'],
  ])('%s: one line with the path; the previous file stays, no temporary file is left', (code, reason) => {
    const dir = mkdtempSync(join(tmpdir(), 'nanogpt-write-'));
    const path = join(dir, 'checkpoint-x.json');
    writeFileSync(path, 'the previous checkpoint');
    failWith.code = code;
    try {
      expect(() => writeFileAtomic(path, 'new')).toThrow(expect.objectContaining({ code: 'WRITE_FAILED', message: `cannot write ${path}: ${reason}`, cause: expect.objectContaining({ code }) }));
    } finally {
      failWith.code = undefined;
    }
    expect(readFileSync(path, 'utf8')).toBe('the previous checkpoint');
    expect(readdirSync(dir)).toEqual(['checkpoint-x.json']);
    writeFileAtomic(path, 'new');
    expect(existsSync(path) && readFileSync(path, 'utf8')).toBe('new');
  });
});

describe('checkpoint files', () => {
  it('a failed write keeps the previous checkpoint, which still loads', () => {
    const dir = mkdtempSync(join(tmpdir(), 'lmo-checkpoint-'));
    const path = join(dir, 'checkpoint.safetensors');
    const state = { format: 'lmo-optimizer-state', version: 3, step: 1, parameters: [] } as unknown as OptimizerState;
    writeCheckpointFile(path, { weights: { w: Float32Array.of(1, 2) }, state, metadata: { at: 1 } });
    failWith.code = 'ENOSPC';
    try {
      expect(() => writeCheckpointFile(path, { weights: { w: Float32Array.of(3, 4) }, state, metadata: { at: 2 } })).toThrow(`cannot write ${path}: no space left on device (ENOSPC)`);
    } finally {
      failWith.code = undefined;
    }
    expect(readCheckpointFile(path)?.metadata).toEqual({ at: 1 });
    expect(readdirSync(dir)).toEqual(['checkpoint.safetensors']);
  });
});
