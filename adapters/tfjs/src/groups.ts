import { LmoError, compileMatch, type GroupSpec, type Shape } from '@lmo/core';
import { canonicalName } from './names.js';
import type { Layout } from './layout.js';

/**
 * A parameter group of the tfjs optimizer: core's {@link GroupSpec} (which variables, which norm,
 * scale ρ, lr, momentum, uSCG) plus the storage {@link Layout} of its variables.
 *
 * `match` is tested against the variable's name (`model.trainableWeights[i].name`, e.g.
 * `dense_Dense1/kernel`) and against its canonical name (without tfjs's `_<n>` uniquifying suffix),
 * so `'*' + '/kernel'` matches `dense_Dense1/kernel_1` too.
 */
export interface TfjsGroupSpec extends GroupSpec {
  /** How the variables of this group store their axes. Default `'auto'`. */
  readonly layout?: Layout;
}

/** Routes variables to groups one at a time, as the optimizer first sees them. */
export class GroupRouter {
  readonly #tests: Array<((name: string, shape: Shape) => boolean) | undefined>;
  readonly #fallback: number | undefined;

  constructor(readonly groups: readonly TfjsGroupSpec[]) {
    if (!Array.isArray(groups) || groups.length === 0) {
      throw new LmoError('GROUP_ROUTING', 'groups must be a non-empty array (omit it to put every variable in one group)');
    }
    const defaults = groups.flatMap((g, i) => (g.match === undefined ? [i] : []));
    if (defaults.length > 1) {
      throw new LmoError('GROUP_ROUTING', `only one group may omit "match" (the default group); groups ${defaults.map((i) => this.label(i)).join(', ')} all do`);
    }
    this.#fallback = defaults[0];
    this.#tests = groups.map((g) => (g.match === undefined ? undefined : compileMatch(g.match)));
  }

  /** The group's label in messages. */
  label(i: number): string {
    return `"${this.groups[i]?.name ?? `group${i}`}"`;
  }

  /** The index of the one group `name` belongs to; throws a `GROUP_ROUTING` error otherwise. */
  route(name: string, shape: Shape): number {
    const canonical = canonicalName(name);
    const hits = this.#tests.flatMap((t, i) => (t && (t(name, shape) || (canonical !== name && t(canonical, shape))) ? [i] : []));
    if (hits.length > 1) {
      throw new LmoError('GROUP_ROUTING', `variable "${name}" matches more than one group: ${hits.map((i) => this.label(i)).join(', ')}`);
    }
    const index = hits[0] ?? this.#fallback;
    if (index === undefined) {
      throw new LmoError('GROUP_ROUTING', `variable "${name}" matches no group; add a group that matches it, or a default group without "match"`);
    }
    return index;
  }
}
