export { asFloat32 } from './safetensors/as-float32.js';
export { decodeSafetensors } from './safetensors/decode.js';
export { encodeSafetensors } from './safetensors/encode.js';
export type { SafetensorsArrays, SafetensorsDtype, SafetensorsFile, SafetensorsTensor } from './safetensors/format.js';
export { fromBfloat16Bits, fromFloat16Bits, toBfloat16Bits, toFloat16Bits } from './half-precision.js';
export { encodeCheckpoint } from './checkpoint/encode.js';
export { decodeCheckpoint } from './checkpoint/decode.js';
export type { Checkpoint, CheckpointWeights, DecodedCheckpoint } from './checkpoint/format.js';
