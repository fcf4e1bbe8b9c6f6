import { describeBackendConformance } from '@lmo/core/testing/vitest';
import { onnxBackend } from '../src/index.js';

describeBackendConformance('onnxruntime-node (cpu)', () => onnxBackend({ intraOpNumThreads: 1 }), { timeout: 30_000 });
