import { biasRMS, colNorm, scion, sign, spectral, warmupCosine, type GroupSpec } from '@lmo/core';
import { referenceBackend as backend, type RefTensor } from '@lmo/core/reference';

// nanoGPT's parameters (bias=false, lm_head tied to wte), shapes [d_out, d_in] as in PyTorch.
const vocab = 65;
const C = 128; // n_embd
const block = 64;
const nLayer = 4;
const shapes: Record<string, number[]> = {
  'transformer.wte.weight': [vocab, C], // token embedding, also the output head
  'transformer.wpe.weight': [block, C], // position embedding
};
for (let l = 0; l < nLayer; l++) {
  const h = `transformer.h.${l}`;
  shapes[`${h}.ln_1.weight`] = [C];
  shapes[`${h}.attn.c_attn.weight`] = [3 * C, C];
  shapes[`${h}.attn.c_proj.weight`] = [C, C];
  shapes[`${h}.ln_2.weight`] = [C];
  shapes[`${h}.mlp.c_fc.weight`] = [4 * C, C];
  shapes[`${h}.mlp.c_proj.weight`] = [C, 4 * C];
}
shapes['transformer.ln_f.weight'] = [C];

const params = new Map<string, RefTensor>();
for (const [name, shape] of Object.entries(shapes)) {
  params.set(name, backend.fromArray(new Float32Array(shape.reduce((a, d) => a * d, 1)), shape));
}

// Scion's groups for this model: one norm per role.
export const groups: GroupSpec[] = [
  // Tied embedding / output head: the sign LMO, sign(g)/d_in, with a large radius.
  { name: 'embedding', match: 'transformer.wte.weight', norm: sign({ normalized: true }), scale: 180 },
  // Position embedding [block, C]: ColNorm on the transpose (one vector per position).
  { name: 'position', match: 'transformer.wpe.weight', norm: colNorm({ transpose: true }), scale: 3 },
  // LayerNorm gains (1-D): RMS-normalized gradient.
  { name: 'gains', match: (_name, shape) => shape.length === 1, norm: biasRMS(), scale: 3 },
  // Every matrix inside the blocks (attention and MLP): the spectral LMO (orthogonalized update).
  { name: 'matrices', match: ['transformer.h.*.attn.*', 'transformer.h.*.mlp.*'], norm: spectral(), scale: 3 },
];

export const optimizer = scion(backend, params, {
  lr: 2 ** -8,
  momentum: 0.1,
  schedule: warmupCosine({ warmup: 100, decaySteps: 2000, final: 0.1 }),
  groups,
});

// Which group and norm each parameter got:
export const routing = optimizer.parameters.map((p) => `${p.name} [${p.shape.join(', ')}] → ${p.group} (${p.norm?.kind ?? 'AdamW'})`);
