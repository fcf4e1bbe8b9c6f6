// fast-check arbitraries for the rule checks: small shapes, and shapes that broadcast onto them.
import fc from 'fast-check';

/** A shape of rank in [minRank, maxRank] with dims in [1, maxDim]. */
export const shape = (minRank = 1, maxRank = 3, maxDim = 4): fc.Arbitrary<number[]> => fc.array(fc.integer({ min: 1, max: maxDim }), { minLength: minRank, maxLength: maxRank });

/** `[full, partial]`: `partial` broadcasts onto `full` (leading axes dropped, some axes set to 1). */
export const broadcastPair = (maxRank = 3): fc.Arbitrary<[number[], number[]]> =>
  shape(1, maxRank).chain((full) =>
    fc.tuple(fc.integer({ min: 0, max: full.length }), fc.array(fc.boolean(), { minLength: full.length, maxLength: full.length })).map(([drop, ones]) => {
      const partial = full.slice(drop).map((d, i) => (ones[i + drop] ? 1 : d));
      return [full, partial] as [number[], number[]];
    }),
  );

/** Options of every property: few runs (each builds two onnxruntime sessions), reproducible. */
export const runs = (numRuns = 6, seed = 20): fc.Parameters<unknown> => ({ numRuns, seed });
