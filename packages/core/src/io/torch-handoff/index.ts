export { decodeTorchHandoff } from './decode.js';
export { encodeTorchHandoff } from './encode.js';
export { HANDOFF_VERSION, type DecodedHandoff, type HandoffRun, type NamedArrays, type ScionParamGroup, type TorchHandoff } from './format.js';
export type { ScionNorm, ScionNormName } from './scion-norms.js';
