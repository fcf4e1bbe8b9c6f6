// `@lmo/onnxruntime/web` runs the same graphs on onnxruntime-web (its wasm build also runs in Node).
import { expect, it } from 'vitest';
import { scion, spectral, biasRMS } from '@lmo/core';
import { referenceBackend } from '@lmo/core/reference';
import { onnxBackend as webBackend } from '../src/web.js';
import { onnxBackend as nodeBackend } from '../src/index.js';

it('the web entry point trains like onnxruntime-node and the reference backend', async () => {
  const init = new Float32Array(16 * 8).map((_, i) => Math.sin(i));
  const gains = new Float32Array(8).fill(1);
  const grads = Array.from({ length: 3 }, (_, s) => ({
    w: new Float32Array(16 * 8).map((_, i) => Math.cos(i * (s + 1))),
    g: new Float32Array(8).map((_, i) => Math.sin(i + s)),
  }));
  const groups = [
    { match: 'w', norm: spectral(), scale: 3 },
    { match: 'g', norm: biasRMS(), scale: 3 },
  ];
  const results: Float32Array[] = [];
  for (const backend of [webBackend(), nodeBackend(), referenceBackend] as const) {
    const b = backend as typeof referenceBackend;
    const params = { w: b.fromArray(init, [16, 8]), g: b.fromArray(gains, [8]) };
    const opt = scion(b, params, { lr: 0.05, groups });
    for (const g of grads) await opt.step({ w: b.fromArray(g.w, [16, 8]), g: b.fromArray(g.g, [8]) });
    results.push(await b.read(params.w));
  }
  const [web, node, ref] = results as [Float32Array, Float32Array, Float32Array];
  for (let i = 0; i < ref.length; i++) {
    expect(Math.abs(web[i]! - ref[i]!)).toBeLessThan(1e-5);
    expect(Math.abs(node[i]! - ref[i]!)).toBeLessThan(1e-5);
  }
});
