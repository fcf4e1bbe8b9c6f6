import type { Shape } from '../backend/contract.js';
import { LmoError } from '../errors.js';
import type { Norm } from '../norms/norm.js';
import type { AdamWSettings } from './options.js';

/**
 * Selects parameters: by name with a glob (`*` matches any run of characters, separators included;
 * `?` one character; anything else literally) or a RegExp; by rank with `{ rank }` (e.g.
 * `{ rank: [0, 1] }` for biases and gains); or with a predicate on name and shape. All but
 * predicates can be saved with an optimizer's configuration.
 */
export type Matcher = string | RegExp | { readonly rank: number | readonly number[] } | ((name: string, shape: Shape) => boolean);

/**
 * A parameter group: how the parameters it matches are updated. An LMO group gives a `norm` (and
 * optionally its radius, lr, momentum, uSCG); an AdamW group gives `adamw` (and optionally its lr)
 * instead, so that one optimizer can run, e.g., Muon on the hidden matrices and AdamW on the rest.
 */
export interface GroupSpec {
  /** A label for messages and saved state. Default: `group<i>`. */
  readonly name?: string;
  /**
   * Which parameters belong here. Omit it to make this the default group: it takes every parameter
   * that no other group matches (at most one group may omit it).
   */
  readonly match?: Matcher | readonly Matcher[];
  /** The norm whose LMO gives this group's update direction. Required unless the group is AdamW's. */
  readonly norm?: Norm;
  /**
   * Update this group with AdamW (see {@link AdamWSettings}; `{}` for nanoGPT's defaults) instead of
   * an LMO. It then takes no `norm`, `scale`, `momentum` or `unconstrained`; the optimizer's `clip`
   * clips the AdamW groups' gradients.
   */
  readonly adamw?: AdamWSettings;
  /** The radius ρ of the norm ball (multiplies the LMO). Default: the optimizer's `scale` (1). */
  readonly scale?: number;
  /** Base learning rate γ of this group, overriding the optimizer's `lr` (still multiplied by `schedule`). */
  readonly lr?: number;
  /** Momentum α of this group (the reference's `momentum`, i.e. 1 − β), overriding the optimizer's. */
  readonly momentum?: number;
  /** Use the unconstrained update (uSCG) for this group, overriding the optimizer's `unconstrained`. */
  readonly unconstrained?: boolean;
}

/** Converts a glob to an anchored RegExp. */
export function globToRegExp(glob: string): RegExp {
  let source = '';
  for (const ch of glob) {
    if (ch === '*') source += '.*';
    else if (ch === '?') source += '.';
    else source += ch.replace(/[\\^$.|+()[\]{}]/g, '\\$&');
  }
  return new RegExp(`^${source}$`);
}

type Test = (name: string, shape: Shape) => boolean;

function matcherTest(matcher: Matcher, where: string): Test {
  if (typeof matcher === 'function') return matcher;
  if (matcher instanceof RegExp) {
    const re = new RegExp(matcher.source, matcher.flags.replace(/[gy]/g, ''));
    return (name) => re.test(name);
  }
  if (typeof matcher === 'string') {
    const re = globToRegExp(matcher);
    return (name) => re.test(name);
  }
  const rank = (matcher as { rank?: unknown } | null)?.rank;
  const ranks = typeof rank === 'number' ? [rank] : rank;
  if (Array.isArray(ranks) && ranks.length > 0 && ranks.every((r) => Number.isInteger(r) && r >= 0)) {
    return (_name, shape) => ranks.includes(shape.length);
  }
  throw new LmoError(
    'GROUP_ROUTING',
    `${where}: "match" must be a glob string, a RegExp, { rank } or a function, got ${typeof matcher === 'object' ? JSON.stringify(matcher) : String(matcher)}`,
  );
}

/**
 * Compiles a group's `match` (one matcher or several, any of which may match) into a test on a
 * parameter's name and shape.
 */
export function compileMatch(match: Matcher | readonly Matcher[], where = 'a group'): Test {
  const list = Array.isArray(match) ? (match as readonly Matcher[]) : [match as Matcher];
  const fns = list.map((m) => matcherTest(m, where));
  return (name, shape) => fns.some((f) => f(name, shape));
}

/**
 * Routes parameters to groups: every parameter to exactly one group. A parameter may be known by
 * several names (an adapter's unique name and a canonical one): a group matches if it matches any.
 */
export class GroupRouter {
  readonly #tests: Array<Test | undefined>;
  readonly #fallback: number | undefined;
  readonly #labels: readonly string[];

  /** @param groups the specs; `labels[i]` names group `i` in messages. */
  constructor(groups: readonly GroupSpec[], labels: readonly string[]) {
    this.#labels = labels;
    const defaults = groups.flatMap((g, i) => (g.match === undefined ? [i] : []));
    if (defaults.length > 1) {
      throw new LmoError('GROUP_ROUTING', `only one group may omit "match" (the default group); groups ${defaults.map((i) => this.#label(i)).join(', ')} all do`);
    }
    this.#fallback = defaults[0];
    this.#tests = groups.map((g, i) => (g.match === undefined ? undefined : compileMatch(g.match, `groups[${i}] (${this.#label(i)})`)));
  }

  #label(i: number): string {
    return `"${this.#labels[i]}"`;
  }

  /** The index of the one group a parameter belongs to. Throws `GROUP_ROUTING` when it is not exactly one. */
  route(names: string | readonly string[], shape: Shape): number {
    const all = typeof names === 'string' ? [names] : names;
    const hits = this.#tests.flatMap((t, i) => (t !== undefined && all.some((n) => t(n, shape)) ? [i] : []));
    const name = all[0]!;
    if (hits.length > 1) {
      throw new LmoError('GROUP_ROUTING', `parameter "${name}" matches more than one group: ${hits.map((i) => this.#label(i)).join(', ')}`);
    }
    const index = hits[0] ?? this.#fallback;
    if (index === undefined) {
      throw new LmoError('GROUP_ROUTING', `parameter "${name}" matches no group; add a group that matches it, or a default group without "match"`);
    }
    return index;
  }

  /** Throws `GROUP_ROUTING` naming the first group with a `match` that no routed parameter used. */
  requireAllUsed(used: ReadonlySet<number>): void {
    const unused = this.#tests.findIndex((t, i) => t !== undefined && !used.has(i));
    if (unused >= 0) throw new LmoError('GROUP_ROUTING', `group ${this.#label(unused)} matches no parameter (check its "match")`);
  }
}
