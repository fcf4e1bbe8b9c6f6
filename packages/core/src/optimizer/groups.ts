import type { Shape } from '../backend.js';
import { LmoError } from '../errors.js';
import type { Norm } from '../norms/norm.js';

/**
 * Selects parameters by name: a glob (`*` matches any run of characters, separators included;
 * `?` one character; anything else literally), a RegExp, or a predicate on name and shape.
 */
export type Matcher = string | RegExp | ((name: string, shape: Shape) => boolean);

/** A parameter group: the norm and hyperparameters for the parameters it matches. */
export interface GroupSpec {
  /** A label for messages and saved state. Default: `group<i>`. */
  readonly name?: string;
  /**
   * Which parameters belong here. Omit it to make this the default group: it takes every parameter
   * that no other group matches (at most one group may omit it).
   */
  readonly match?: Matcher | readonly Matcher[];
  /** The norm whose LMO gives this group's update direction. */
  readonly norm: Norm;
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

function matcherTest(matcher: Matcher): (name: string, shape: Shape) => boolean {
  if (typeof matcher === 'function') return matcher;
  if (matcher instanceof RegExp) {
    const re = new RegExp(matcher.source, matcher.flags.replace(/[gy]/g, ''));
    return (name) => re.test(name);
  }
  if (typeof matcher === 'string') {
    const re = globToRegExp(matcher);
    return (name) => re.test(name);
  }
  throw new LmoError('GROUP_ROUTING', `a group's "match" must be a glob string, a RegExp or a function, got ${String(matcher)}`);
}

/**
 * Compiles a group's `match` (one matcher or several, any of which may match) into a test on a
 * parameter's name and shape. Throws a `GROUP_ROUTING` error for a value that is not a matcher.
 */
export function compileMatch(match: Matcher | readonly Matcher[]): (name: string, shape: Shape) => boolean {
  const list = Array.isArray(match) ? (match as readonly Matcher[]) : [match as Matcher];
  const fns = list.map(matcherTest);
  return (name, shape) => fns.some((f) => f(name, shape));
}

/**
 * Assigns every parameter to exactly one group. Throws a `GROUP_ROUTING` error naming the parameter
 * when one matches no group (and there is no default group) or more than one, and naming the group
 * when a group with a `match` matches nothing.
 */
export function routeParameters(
  params: ReadonlyArray<{ readonly name: string; readonly shape: Shape }>,
  groups: readonly GroupSpec[],
  groupName: (i: number) => string,
): number[] {
  const defaults = groups.flatMap((g, i) => (g.match === undefined ? [i] : []));
  if (defaults.length > 1) {
    throw new LmoError(
      'GROUP_ROUTING',
      `only one group may omit "match" (the default group); groups ${defaults.map(groupName).join(', ')} all do`,
    );
  }
  const tests = groups.map((g) => (g.match === undefined ? undefined : compileMatch(g.match)));
  const used = new Array<boolean>(groups.length).fill(false);
  const result = params.map(({ name, shape }) => {
    const hits = tests.flatMap((t, i) => (t?.(name, shape) ? [i] : []));
    if (hits.length > 1) {
      throw new LmoError('GROUP_ROUTING', `parameter "${name}" matches more than one group: ${hits.map(groupName).join(', ')}`);
    }
    const index = hits[0] ?? defaults[0];
    if (index === undefined) {
      throw new LmoError(
        'GROUP_ROUTING',
        `parameter "${name}" matches no group; add a group that matches it, or a default group without "match"`,
      );
    }
    used[index] = true;
    return index;
  });
  const unused = groups.findIndex((g, i) => g.match !== undefined && !used[i]);
  if (unused >= 0) {
    throw new LmoError('GROUP_ROUTING', `group ${groupName(unused)} matches no parameter (check its "match")`);
  }
  return result;
}
