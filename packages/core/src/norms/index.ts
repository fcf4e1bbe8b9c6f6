export type { Norm, NormKind } from './norm.js';
export { sign, signUnscaled, type SignOptions } from './sign.js';
export { spectral, spectralScale, type SpectralOptions } from './spectral.js';
export { colNorm, type ColNormOptions } from './col-norm.js';
export { rowNorm, type RowNormOptions } from './row-norm.js';
export { biasRMS } from './bias-rms.js';
export { spectralConv, convScale, type SpectralConvOptions } from './spectral-conv.js';
export { frobenius } from './frobenius.js';
export { auto } from './auto.js';
export { transposed } from './transposed.js';
export {
  orthogonalize,
  orthogonalizationPlan,
  QUINTIC_COEFFICIENTS,
  POLAR_EXPRESS_COEFFICIENTS,
  type OrthogonalizationMethod,
  type OrthogonalizationPlan,
} from './newton-schulz.js';
export { NORMALIZE_EPS } from './vector-norm.js';
