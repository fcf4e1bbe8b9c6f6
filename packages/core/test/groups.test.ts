/**
 * Routing parameters to groups: globs, RegExps, predicates, arrays, the default group, and the
 * GROUP_ROUTING errors.
 */
import { describe, expect, it } from 'vitest';
import { LmoError } from '../src/errors.js';
import { frobenius } from '../src/norms/frobenius.js';
import { sign, signUnscaled } from '../src/norms/sign.js';
import { GroupRouter, globToRegExp, type GroupSpec, type Matcher } from '../src/optimizer/groups.js';
import { createOptimizer } from '../src/optimizer/optimizer.js';
import type { RefTensor } from '../src/reference/index.js';
import { ref, spy, tensor } from './helpers/backend.js';

const SHAPES: Record<string, number[]> = {
  'wte.weight': [8, 4],
  'h.0.attn.w': [4, 4],
  'h.0.attn.b': [4],
  'h.1.attn.w': [4, 4],
  'h.10.attn.w': [4, 4],
  'h.1.mlp.w': [4, 4],
  'ln_f.gain': [4],
  'axb': [2, 2],
  'a.b': [2, 2],
};

function params(names: readonly string[]): Record<string, RefTensor> {
  return Object.fromEntries(names.map((n) => [n, tensor(new Array<number>(SHAPES[n]!.reduce((a, d) => a * d, 1)).fill(0), SHAPES[n]!)]));
}

function route(names: readonly string[], groups: readonly GroupSpec[]): Record<string, string> {
  const opt = createOptimizer(ref, params(names), { lr: 0.1, groups });
  return Object.fromEntries(opt.parameters.map((p) => [p.name, p.group]));
}

function routingError(names: readonly string[], groups: readonly GroupSpec[]): LmoError {
  try {
    createOptimizer(ref, params(names), { lr: 0.1, groups });
  } catch (e) {
    expect(e).toBeInstanceOf(LmoError);
    return e as LmoError;
  }
  throw new Error('expected a routing error');
}

const N = signUnscaled();

describe('matchers', () => {
  it('glob: * spans any run of characters (separators included), ? exactly one', () => {
    const names = ['h.0.attn.w', 'h.10.attn.w', 'h.1.mlp.w'];
    expect(
      route(names, [
        { name: 'single', match: 'h.?.attn.w', norm: N },
        { name: 'star', match: 'h.1*.w', norm: N },
      ]),
    ).toEqual({ 'h.0.attn.w': 'single', 'h.10.attn.w': 'star', 'h.1.mlp.w': 'star' });
  });

  it('glob: other characters are literal (a "." is not a wildcard) and the match is anchored', () => {
    expect(route(['axb', 'a.b'], [{ name: 'dot', match: 'a.b', norm: N }, { name: 'rest', norm: N }])).toEqual({ 'a.b': 'dot', axb: 'rest' });
    // Anchored: "attn.w" is not a substring match, so the group matches nothing.
    expect(() => route(['h.0.attn.w'], [{ name: 'w', match: 'attn.w', norm: N }, { name: 'rest', norm: N }])).toThrow(/"w"/);
    for (const [glob, name, hit] of [
      ['h.*', 'h.0.attn.w', true],
      ['*.w', 'h.0.attn.w', true],
      ['*', '', true],
      ['?', '', false],
      ['a+b', 'aab', false],
      ['a+b', 'a+b', true],
      ['(x)', '(x)', true],
      ['[ab]', 'a', false],
      ['[ab]', '[ab]', true],
      ['a\\b', 'a\\b', true],
      ['^a$', '^a$', true],
    ] as const) {
      expect(globToRegExp(glob).test(name), `${glob} vs ${name}`).toBe(hit);
    }
  });

  it('RegExp (flags g/y do not make routing depend on earlier matches)', () => {
    const names = ['h.0.attn.w', 'h.1.attn.w', 'h.10.attn.w', 'h.1.mlp.w'];
    // A global RegExp keeps lastIndex between test() calls; routing must not inherit that.
    const re = /attn/g;
    expect(route(names, [{ name: 'attn', match: re, norm: N }, { name: 'rest', norm: N }])).toEqual({
      'h.0.attn.w': 'attn',
      'h.1.attn.w': 'attn',
      'h.10.attn.w': 'attn',
      'h.1.mlp.w': 'rest',
    });
    expect(route(['h.0.attn.w', 'h.1.mlp.w'], [{ name: 'sticky', match: /h/y, norm: N }])).toEqual({
      'h.0.attn.w': 'sticky',
      'h.1.mlp.w': 'sticky',
    });
  });

  it('predicate on name and shape', () => {
    const names = ['wte.weight', 'h.0.attn.w', 'h.0.attn.b', 'ln_f.gain'];
    const seen: Array<[string, number[]]> = [];
    const vector: Matcher = (name, shape) => {
      seen.push([name, [...shape]]);
      return shape.length === 1;
    };
    expect(route(names, [{ name: 'vec', match: vector, norm: frobenius() }, { name: 'mat', norm: N }])).toEqual({
      'wte.weight': 'mat',
      'h.0.attn.w': 'mat',
      'h.0.attn.b': 'vec',
      'ln_f.gain': 'vec',
    });
    expect(seen).toContainEqual(['wte.weight', [8, 4]]);
    expect(seen).toContainEqual(['h.0.attn.b', [4]]);
  });

  it('an array of matchers matches when any of them does', () => {
    const names = ['wte.weight', 'h.0.attn.w', 'h.0.attn.b', 'ln_f.gain', 'h.1.mlp.w'];
    expect(
      route(names, [
        { name: 'mixed', match: ['wte.*', /gain$/, (_n, s) => s.length === 1 && _n.startsWith('h.')], norm: frobenius() },
        { name: 'rest', norm: N },
      ]),
    ).toEqual({ 'wte.weight': 'mixed', 'h.0.attn.w': 'rest', 'h.0.attn.b': 'mixed', 'ln_f.gain': 'mixed', 'h.1.mlp.w': 'rest' });
  });

  it('the default group (no match) takes what no other group matches, wherever it is listed; groups get default names', () => {
    const names = ['wte.weight', 'h.0.attn.w', 'ln_f.gain'];
    expect(route(names, [{ norm: N }, { match: 'h.*', norm: N }])).toEqual({
      'wte.weight': 'group0',
      'h.0.attn.w': 'group1',
      'ln_f.gain': 'group0',
    });
    // An unused default group is fine.
    expect(route(['h.0.attn.w'], [{ match: 'h.*', norm: N }, { name: 'spare', norm: N }])).toEqual({ 'h.0.attn.w': 'group0' });
  });

  it('each parameter gets its own group\'s norm', () => {
    const opt = createOptimizer(ref, params(['wte.weight', 'h.0.attn.b']), {
      lr: 0.1,
      groups: [
        { name: 'emb', match: 'wte.*', norm: sign() },
        { name: 'vec', norm: frobenius() },
      ],
    });
    expect(opt.parameters.map((p) => [p.name, p.norm!.kind, p.shape])).toEqual([
      ['wte.weight', 'sign', [8, 4]],
      ['h.0.attn.b', 'frobenius', [4]],
    ]);
  });
});

describe('GROUP_ROUTING errors', () => {
  it('a parameter matching no group (and no default group) names the parameter', () => {
    const e = routingError(['wte.weight', 'h.0.attn.w'], [{ name: 'hidden', match: 'h.*', norm: N }]);
    expect(e.code).toBe('GROUP_ROUTING');
    expect(e.message).toContain('"wte.weight"');
    expect(e.message).toMatch(/no group/);
  });

  it('a parameter matching two groups names the parameter and both groups', () => {
    const e = routingError(['h.0.attn.w', 'h.1.mlp.w'], [
      { name: 'attn', match: /attn/, norm: N },
      { name: 'layer0', match: 'h.0.*', norm: N },
      { name: 'rest', norm: N },
    ]);
    expect(e.code).toBe('GROUP_ROUTING');
    expect(e.message).toContain('"h.0.attn.w"');
    expect(e.message).toContain('"attn"');
    expect(e.message).toContain('"layer0"');
  });

  it('a group that matches nothing names the group', () => {
    const e = routingError(['h.0.attn.w'], [
      { name: 'hidden', match: 'h.*', norm: N },
      { name: 'typo', match: 'hh.*', norm: N },
    ]);
    expect(e.code).toBe('GROUP_ROUTING');
    expect(e.message).toContain('"typo"');
    // A group with an empty matcher list matches nothing too.
    const f = routingError(['h.0.attn.w'], [{ name: 'hidden', match: 'h.*', norm: N }, { name: 'empty', match: [], norm: N }]);
    expect(f.code).toBe('GROUP_ROUTING');
    expect(f.message).toContain('"empty"');
  });

  it('two default groups are named', () => {
    const e = routingError(['h.0.attn.w'], [
      { name: 'first', norm: N },
      { name: 'second', norm: N },
    ]);
    expect(e.code).toBe('GROUP_ROUTING');
    expect(e.message).toContain('"first"');
    expect(e.message).toContain('"second"');
  });

  it('a matcher of the wrong type, and an empty groups array', () => {
    const e = routingError(['h.0.attn.w'], [{ name: 'bad', match: 42 as unknown as Matcher, norm: N }]);
    expect(e.code).toBe('GROUP_ROUTING');
    expect(e.message).toContain('42');
    expect(routingError(['h.0.attn.w'], []).code).toBe('GROUP_ROUTING');
  });

  it('a group without a norm is UNKNOWN_NORM, naming the group', () => {
    const e = routingError(['h.0.attn.w'], [{ name: 'nonorm' } as unknown as GroupSpec]);
    expect(e.code).toBe('UNKNOWN_NORM');
    expect(e.message).toContain('groups[0] (nonorm)');
  });

  it('a failed routing allocates no state', () => {
    const { backend, counts } = spy(ref);
    expect(() =>
      createOptimizer(backend, params(['h.0.attn.w', 'wte.weight']), { lr: 0.1, groups: [{ match: 'h.*', norm: N }] }),
    ).toThrow(LmoError);
    expect(counts.zerosLike).toBe(0);
    expect(counts.assign).toBe(0);
  });

  it('GroupRouter directly: indices, any of several names, and the unused-group check', () => {
    const router = new GroupRouter([{ match: 'a', norm: N }, { norm: N }], ['#0', '#1']);
    expect(router.route('b', [2])).toBe(1);
    expect(router.route('a', [2, 2])).toBe(0);
    // A parameter known by several names (an adapter's unique name and its canonical one).
    expect(router.route(['a_1', 'a'], [2, 2])).toBe(0);
    expect(() => new GroupRouter([{ match: ['a', 'b'], norm: N }, { match: 'b', norm: N }], ['#0', '#1']).route('b', [2])).toThrow(/"b".*"#0", "#1"/);
    expect(() => router.requireAllUsed(new Set([1]))).toThrow(/"#0" matches no parameter/);
  });
});
