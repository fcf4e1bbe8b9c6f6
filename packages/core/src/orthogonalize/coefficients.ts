/**
 * The coefficient schedules of the orthogonalizations, in one place. Each step applies the odd
 * polynomial `p(x) = a·x + b·x³ + c·x⁵` to every singular value of the normalized matrix.
 */
import type { PolynomialCoefficients } from '../backend/contract.js';

/**
 * Keller Jordan's quintic Newton–Schulz step, used at every iteration:
 * `(a, b, c) = (3.4445, −4.7750, 2.0315)`. It pushes singular values into roughly `[0.7, 1.2]`
 * within five steps and does not converge to 1 beyond that (it trades accuracy for speed).
 */
export const QUINTIC: PolynomialCoefficients = [3.4445, -4.775, 2.0315];

/**
 * Polar Express (Amsel et al., arXiv 2505.16932), the eight triples of the paper's code listing
 * for the lower bound `ℓ = 10⁻³`, before the safety factor. The last is the classical degree-5
 * Newton–Schulz polynomial `(15x − 10x³ + 3x⁵)/8`, whose fixed point is 1.
 */
export const POLAR_EXPRESS_RAW: readonly PolynomialCoefficients[] = [
  [8.28721201814563, -23.595886519098837, 17.300387312530933],
  [4.107059111542203, -2.9478499167379106, 0.5448431082926601],
  [3.9486908534822946, -2.908902115962949, 0.5518191394370137],
  [3.3184196573706015, -2.488488024314874, 0.51004894012372],
  [2.300652019954817, -1.6689039845747493, 0.4188073119525673],
  [1.891301407787398, -1.2679958271945868, 0.37680408948524835],
  [1.8750014808534479, -1.2500016453999487, 0.3750001645474248],
  [1.875, -1.25, 0.375],
];

/** The safety factor of Polar Express: every triple but the last is used as `p(x / 1.01)`. */
export const POLAR_EXPRESS_SAFETY = 1.01;

/**
 * Polar Express as the paper runs it: triples 1–7 with the safety factor folded in
 * (`a/1.01, b/1.01³, c/1.01⁵`), the 8th unchanged. Steps beyond the eighth repeat the 8th, so the
 * singular values converge to 1 as the number of steps grows.
 */
export const POLAR_EXPRESS: readonly PolynomialCoefficients[] = POLAR_EXPRESS_RAW.map(([a, b, c], i, all) => {
  if (i === all.length - 1) return [a, b, c] as const;
  const s = POLAR_EXPRESS_SAFETY;
  return [a / s, b / s ** 3, c / s ** 5] as const;
});
