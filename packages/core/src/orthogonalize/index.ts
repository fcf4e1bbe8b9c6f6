export { QUINTIC, POLAR_EXPRESS, POLAR_EXPRESS_RAW, POLAR_EXPRESS_SAFETY } from './coefficients.js';
export { ORTHOGONALIZATION_METHODS, gramSide, orthogonalizationPlan, type OrthogonalizationMethod, type OrthogonalizationPlan } from './plan.js';
export { orthogonalize, polynomialSteps } from './orthogonalize.js';
