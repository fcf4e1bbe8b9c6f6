/**
 * A float32-accurate error function for gpu.js kernels, which have `Math.exp` but no `erf`.
 *
 * Two pieces, each accurate where it is used:
 * - `|x| < 0.5`: the Maclaurin series `erf x = 2/√π · Σ (−1)ⁿ x^(2n+1) / (n!(2n+1))` to n = 7
 *   (terms shrink by ≥ 4× per step there; truncation < 1e-9, no cancellation), so tiny
 *   arguments keep their relative accuracy;
 * - `|x| ≥ 0.5`: `erfc z = t·exp(−z² + P(t))`, `t = 1/(1 + z/2)`, with a degree-9 polynomial `P`
 *   fitted to `log(erfc z / t) + z²` (Chebyshev-type fit, fractional error of erfc below 1.2e-7 for
 *   every z ≥ 0), and `erf x = ±(1 − erfc |x|)`.
 *
 * Max |erf − erf₆₄| is a few 1e-8 in float64 arithmetic (gpu.js `cpu`) and ~1e-7 (float32 rounding)
 * in single-precision modes — the precision of float32 itself near 1. (Abramowitz–Stegun 7.1.26's
 * 5-term form is too coarse for 1e-4 parity over many GELUs.)
 */

const TWO_OVER_SQRT_PI = 2 / Math.sqrt(Math.PI);

/** Maclaurin coefficients of erf in powers of x²: `2/√π · (−1)ⁿ / (n!(2n+1))`, n = 0…7. */
export const ERF_SERIES: readonly number[] = (() => {
  const c: number[] = [];
  let fact = 1;
  for (let n = 0; n <= 7; n++) {
    if (n > 0) fact *= n;
    c.push((TWO_OVER_SQRT_PI * (n % 2 === 0 ? 1 : -1)) / (fact * (2 * n + 1)));
  }
  return c;
})();

/** Coefficients of `P(t)` in `erfc z = t·exp(−z² + P(t))` (constant term first). */
export const ERFC_POLY: readonly number[] = [
  -1.26551223, 1.00002368, 0.37409196, 0.09678418, -0.18628806, 0.27886807, -1.13520398, 1.48851587, -0.82215223,
  0.17087277,
];

/** A float literal for kernel source (gpu.js types `1` as an integer and `1.0` as a float). */
export function lit(n: number): string {
  if (Number.isInteger(n)) return `${n}.0`;
  const s = String(n);
  return s.includes('e') ? n.toFixed(20).replace(/0+$/, '') : s;
}

function horner(coeffs: readonly number[], v: string): string {
  let expr = lit(coeffs[coeffs.length - 1] as number);
  for (let i = coeffs.length - 2; i >= 0; i--) expr = `${lit(coeffs[i] as number)} + ${v} * (${expr})`;
  return expr;
}

/**
 * Kernel statements computing `out = erf(x)` (both names are variables of the kernel; `out` must
 * already be declared as a float). Uses the locals `erfZ`, `erfU`, `erfT`, `erfC`.
 */
export function erfStatements(x: string, out: string): string {
  return (
    `const erfZ = Math.abs(${x});\n` +
    `  if (erfZ < 0.5) {\n` +
    `    const erfU = ${x} * ${x};\n` +
    `    ${out} = ${x} * (${horner(ERF_SERIES, 'erfU')});\n` +
    `  } else {\n` +
    `    const erfT = 1.0 / (1.0 + 0.5 * erfZ);\n` +
    `    const erfC = erfT * Math.exp(-erfZ * erfZ + (${horner(ERFC_POLY, 'erfT')}));\n` +
    `    if (${x} > 0.0) { ${out} = 1.0 - erfC; } else { ${out} = erfC - 1.0; }\n` +
    `  }\n`
  );
}
