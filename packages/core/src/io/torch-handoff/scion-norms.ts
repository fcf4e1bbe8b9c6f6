/**
 * lmo's norms as the reference `scion.py` names them (`norm` and `norm_kwargs` of a param group),
 * and back. A norm or an option scion.py has no counterpart for is refused by name.
 */
import type { Shape } from '../../backend/contract.js';
import { LmoError, shown } from '../../errors.js';
import { auto } from '../../norms/auto.js';
import { biasRMS } from '../../norms/bias-rms.js';
import { colNorm } from '../../norms/col-norm.js';
import type { Norm } from '../../norms/norm.js';
import { normFromJSON, type NormJSON } from '../../norms/registry.js';
import { rowNorm } from '../../norms/row-norm.js';
import { sign } from '../../norms/sign.js';
import { spectral } from '../../norms/spectral.js';
import { spectralConv } from '../../norms/spectral-conv.js';
import { formatShape } from '../../shape.js';

/** The norms of `scion.py` (its `norm_dict`). */
export const SCION_NORMS = ['ColNorm', 'RowNorm', 'BiasRMS', 'SpectralConv', 'Spectral', 'Sign', 'Auto'] as const;
export type ScionNormName = (typeof SCION_NORMS)[number];

/** A norm as a scion.py param group holds it: `norm` and `norm_kwargs`, every keyword written out. */
export interface ScionNorm {
  readonly norm: ScionNormName;
  readonly norm_kwargs: Readonly<Record<string, boolean | number>>;
}

/** A norm mapped for one parameter: scion.py's norm, and whether the tensor is stored transposed in lmo. */
export interface MappedNorm {
  readonly scion: ScionNorm;
  /** lmo holds the parameter as the transpose of PyTorch's layout (a `transposed(…)` norm). */
  readonly transposed: boolean;
}

/** Each scion.py norm's keywords: lmo's option name, and the reference default. */
const KWARGS: Readonly<Record<ScionNormName, Readonly<Record<string, readonly [option: string, fallback: boolean | number]>>>> = {
  ColNorm: { normalized: ['normalized', false], transpose: ['transpose', false] },
  RowNorm: { normalized: ['normalized', true], transpose: ['transpose', false] },
  BiasRMS: {},
  SpectralConv: { steps: ['steps', 5] },
  Spectral: { max: ['max', false], normalized: ['normalized', true], steps: ['steps', 5] },
  Sign: { zero_init: ['zeroInit', false], normalized: ['normalized', true] },
  Auto: {},
};

const BUILD: Readonly<Record<ScionNormName, (options: Record<string, boolean | number>) => Norm>> = {
  ColNorm: (o) => colNorm(o),
  RowNorm: (o) => rowNorm(o),
  BiasRMS: () => biasRMS(),
  SpectralConv: (o) => spectralConv(o),
  Spectral: (o) => spectral(o),
  Sign: (o) => sign(o),
  Auto: () => auto(),
};

function refuse(param: string, why: string): never {
  throw new LmoError('UNKNOWN_NORM', `cannot hand parameter "${param}" to scion.py: ${why}`);
}

function scionNorm(norm: ScionNormName, options: Readonly<Record<string, unknown>>): ScionNorm {
  const kwargs: Record<string, boolean | number> = {};
  for (const [key, [option]] of Object.entries(KWARGS[norm])) kwargs[key] = options[option] as boolean | number;
  return { norm, norm_kwargs: kwargs };
}

/** scion.py scales SpectralConv by `1/k²` with `k` the first tap dimension; lmo by `1/K`, K the product of the taps. */
function squareTaps(param: string, shape: Shape, kind: string): void {
  if (shape.length === 4 && shape[2] !== shape[3]) {
    refuse(param, `norm ${kind} on a conv kernel of shape ${formatShape(shape)} with non-square taps: scion.py scales it by 1/k² (k = ${shape[2]}), lmo by 1/(kh·kw)`);
  }
}

/**
 * The scion.py norm of an lmo norm for one parameter of lmo shape `shape`.
 * @throws LmoError `UNKNOWN_NORM` naming the parameter and the norm or option with no counterpart.
 */
export function toScionNorm(norm: Norm, param: string, shape: Shape): MappedNorm {
  const o = norm.options;
  switch (norm.kind) {
    case 'transposed': {
      if (shape.length !== 2) refuse(param, `norm transposed needs a 2-D parameter, got ${formatShape(shape)}`);
      const inner = toScionNorm(normFromJSON(o['of'] as unknown as NormJSON), param, [shape[1]!, shape[0]!]);
      return { scion: inner.scion, transposed: !inner.transposed };
    }
    case 'spectral':
    case 'spectralConv':
      if (o['method'] !== 'quintic') {
        refuse(param, `norm ${norm.kind} with method "${shown(o['method'])}" (Polar Express coefficients) has no counterpart; scion.py orthogonalizes with the quintic (method "quintic")`);
      }
      if (norm.kind === 'spectralConv') squareTaps(param, shape, norm.kind);
      return { scion: scionNorm(norm.kind === 'spectral' ? 'Spectral' : 'SpectralConv', o), transposed: false };
    case 'sign':
      return { scion: scionNorm('Sign', o), transposed: false };
    case 'colNorm':
      return { scion: scionNorm('ColNorm', o), transposed: false };
    case 'rowNorm':
      return { scion: scionNorm('RowNorm', o), transposed: false };
    case 'biasRMS':
      return { scion: scionNorm('BiasRMS', o), transposed: false };
    case 'auto':
      squareTaps(param, shape, 'auto');
      return { scion: scionNorm('Auto', o), transposed: false };
    case 'signUnscaled':
      // On a matrix sign(g) is scion.py's Sign(normalized=False); other ranks have no counterpart.
      if (shape.length !== 2) refuse(param, `norm signUnscaled on shape ${formatShape(shape)} has no counterpart (scion.py's Sign takes matrices only)`);
      return { scion: { norm: 'Sign', norm_kwargs: { zero_init: false, normalized: false } }, transposed: false };
    case 'muon':
      // Muon's norm dispatches on rank like Auto, with Spectral(max=True) for matrices.
      if (shape.length === 2) return { scion: { norm: 'Spectral', norm_kwargs: { max: true, normalized: true, steps: 5 } }, transposed: false };
      squareTaps(param, shape, 'muon');
      return { scion: shape.length >= 3 ? { norm: 'SpectralConv', norm_kwargs: { steps: 5 } } : { norm: 'BiasRMS', norm_kwargs: {} }, transposed: false };
    default:
      refuse(param, `norm ${norm.kind} has no counterpart in scion.py (its norms: ${SCION_NORMS.join(', ')})`);
  }
}

/**
 * The lmo norm of a scion.py param group's `norm` and `norm_kwargs` (missing keywords take the
 * reference defaults). `where` names the group in messages.
 * @throws LmoError `UNKNOWN_NORM` for an unknown norm, an unknown keyword or a keyword of the wrong type.
 */
export function fromScionNorm(name: unknown, kwargs: unknown, where: string): Norm {
  if (typeof name !== 'string' || !(SCION_NORMS as readonly string[]).includes(name)) {
    throw new LmoError('UNKNOWN_NORM', `${where}: norm ${JSON.stringify(name)} is not one of scion.py's (${SCION_NORMS.join(', ')})`);
  }
  const norm = name as ScionNormName;
  const given = kwargs ?? {};
  if (typeof given !== 'object' || Array.isArray(given)) throw new LmoError('UNKNOWN_NORM', `${where}: norm_kwargs must be an object, got ${JSON.stringify(kwargs)}`);
  const known = KWARGS[norm];
  const options: Record<string, boolean | number> = {};
  for (const [key, value] of Object.entries(given as Record<string, unknown>)) {
    const entry = known[key];
    if (entry === undefined) {
      const keys = Object.keys(known);
      throw new LmoError('UNKNOWN_NORM', `${where}: ${norm} has no keyword "${key}" (${keys.length > 0 ? `its keywords: ${keys.join(', ')}` : 'it takes none'})`);
    }
    if (typeof value !== typeof entry[1]) throw new LmoError('UNKNOWN_NORM', `${where}: ${norm} keyword "${key}" must be a ${typeof entry[1]}, got ${JSON.stringify(value)}`);
    options[entry[0]] = value as boolean | number;
  }
  try {
    return BUILD[norm](options);
  } catch (e) {
    if (e instanceof LmoError) throw new LmoError(e.code, `${where}: ${e.message}`);
    throw e;
  }
}

/** Whether two scion.py norms are the same norm with the same keywords. */
export function sameScionNorm(a: ScionNorm, b: ScionNorm): boolean {
  if (a.norm !== b.norm) return false;
  const keys = new Set([...Object.keys(a.norm_kwargs), ...Object.keys(b.norm_kwargs)]);
  return [...keys].every((k) => a.norm_kwargs[k] === b.norm_kwargs[k]);
}

/** `Spectral(max=False, normalized=True, steps=5)`, for messages. */
export function formatScionNorm(n: ScionNorm): string {
  return `${n.norm}(${Object.entries(n.norm_kwargs)
    .map(([k, v]) => `${k}=${typeof v === 'boolean' ? (v ? 'True' : 'False') : v}`)
    .join(', ')})`;
}
