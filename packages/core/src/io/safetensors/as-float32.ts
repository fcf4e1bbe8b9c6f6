import { LmoError, shown } from '../../errors.js';
import { fromBfloat16Bits, fromFloat16Bits } from '../half-precision.js';
import type { SafetensorsTensor } from './format.js';

/**
 * A floating-point tensor's values as float32: `F32` data itself (not a copy), `F16` and `BF16`
 * widened exactly, `F64` rounded to nearest (ties to even).
 * @throws LmoError `INVALID_SAFETENSORS` for any other dtype.
 */
export function asFloat32(tensor: SafetensorsTensor): Float32Array {
  switch (tensor.dtype) {
    case 'F32':
      return tensor.data;
    case 'F16':
      return fromFloat16Bits(tensor.data);
    case 'BF16':
      return fromBfloat16Bits(tensor.data);
    case 'F64':
      return Float32Array.from(tensor.data);
    default:
      throw new LmoError('INVALID_SAFETENSORS', `asFloat32 reads F32, F16, BF16 and F64 tensors, not ${shown(tensor.dtype)}`);
  }
}
