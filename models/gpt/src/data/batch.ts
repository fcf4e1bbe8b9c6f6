/** A batch of token ids, row-major `[batchSize, blockSize]`; `y` is `x` shifted by one. */
export interface Batch {
  readonly x: Int32Array;
  readonly y: Int32Array;
  readonly batchSize: number;
  readonly blockSize: number;
}
