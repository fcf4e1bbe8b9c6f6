import { describe, expect, it } from 'vitest';
import { sessionOptions } from '../src/index.js';
import { sessionOptions as webSessionOptions } from '../src/web.js';

describe('sessionOptions: the settings the backend compiles its graphs with', () => {
  it('defaults: sequential, no memory pattern, no spinning workers, all graph optimizations, errors only', () => {
    expect(sessionOptions()).toEqual({
      executionProviders: ['cpu'],
      graphOptimizationLevel: 'all',
      executionMode: 'sequential',
      enableMemPattern: false,
      logSeverityLevel: 3,
      extra: { session: { intra_op: { allow_spinning: '0' } } },
    });
    expect(webSessionOptions().executionProviders).toEqual(['wasm']);
  });

  it('options override them; an extra of your own is merged with the spinning setting', () => {
    const o = sessionOptions({ intraOpNumThreads: 3, allowSpinning: true, enableMemPattern: true, sessionOptions: { logSeverityLevel: 2, extra: { session: { use_env_allocators: '1' } } } });
    expect(o).toMatchObject({ intraOpNumThreads: 3, enableMemPattern: true, logSeverityLevel: 2 });
    expect(o.extra).toEqual({ session: { use_env_allocators: '1', intra_op: { allow_spinning: '1' } } });
  });
});
