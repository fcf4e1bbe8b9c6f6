/** Whether `x` is a typed array of the given kind, also from another realm (a Node `Buffer` is a `Uint8Array`). */
export function isTypedArray(x: unknown, kind: string): boolean {
  return ArrayBuffer.isView(x) && Object.prototype.toString.call(x) === `[object ${kind}]`;
}

/** Whether this engine stores typed arrays little-endian (every common one does). */
export const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Reverses the byte order of each `size`-byte element of `bytes`, in place. */
export function swapBytes(bytes: Uint8Array, size: number): void {
  for (let at = 0; at + size <= bytes.length; at += size) bytes.subarray(at, at + size).reverse();
}
