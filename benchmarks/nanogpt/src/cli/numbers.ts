import { InvalidArgumentError } from 'commander';

const POWER = /^\s*(\d+(?:\.\d+)?)\s*\^\s*([-+]?\d+(?:\.\d+)?)\s*$/;

/**
 * Parses a learning rate the way the docs write them: a decimal or scientific number (`0.001`,
 * `1e-3`) or a power `b^e` (`2^-8` = 0.00390625). It must be finite and > 0.
 */
export function parseLearningRate(text: string): number {
  const power = POWER.exec(text);
  const value = power ? Number(power[1]) ** Number(power[2]) : text.trim() === '' ? NaN : Number(text);
  if (!Number.isFinite(value) || value <= 0) {
    throw new InvalidArgumentError(`expected a learning rate > 0 such as 0.001, 1e-3 or 2^-8, got "${text}"`);
  }
  return value;
}

/** A comma-separated list of learning rates, each as {@link parseLearningRate} reads it. */
export function parseLearningRates(text: string): number[] {
  const items = text.split(',').map((s) => s.trim()).filter((s) => s !== '');
  if (items.length === 0) throw new InvalidArgumentError(`expected a comma-separated list of learning rates, got "${text}"`);
  return items.map(parseLearningRate);
}

/** An integer ≥ `min` (a commander argument parser). */
export function parseInteger(min: number): (text: string) => number {
  return (text) => {
    const n = Number(text);
    if (!/^\s*-?\d+\s*$/.test(text) || !Number.isSafeInteger(n) || n < min) {
      throw new InvalidArgumentError(`expected an integer ≥ ${min}, got "${text}"`);
    }
    return n;
  };
}

/** A comma-separated list (blanks dropped): `a, b,c` → `['a', 'b', 'c']`. */
export const parseList = (text: string): string[] => text.split(',').map((s) => s.trim()).filter((s) => s !== '');

/** A comma-separated list of integers ≥ `min` (a commander argument parser). */
export const parseIntegers = (min: number) => (text: string): number[] => parseList(text).map(parseInteger(min));

/** A repeatable option's values, in order (a commander argument parser). */
export const collect = (text: string, previous: string[] = []): string[] => [...previous, text];

/** A comma-separated list of some of `choices` (a commander argument parser). */
export function parseChoices<C extends string>(choices: readonly C[]): (text: string) => C[] {
  return (text) => {
    const items = parseList(text);
    const other = items.find((i) => !(choices as readonly string[]).includes(i));
    if (other !== undefined) throw new InvalidArgumentError(`expected some of ${choices.join(', ')}, got "${other}"`);
    return items as C[];
  };
}
