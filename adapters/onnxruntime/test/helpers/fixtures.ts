// Paths of the committed PyTorch fixtures, and a comparison of gradients.
import { fileURLToPath } from 'node:url';

/** `test/fixtures/torch/<name>/<file>`. */
export function torchFixture(name: string, file: string): string {
  return fileURLToPath(new URL(`../fixtures/torch/${name}/${file}`, import.meta.url));
}

/** max |a − b| / max |b| (0 when both are 0). */
export function relativeError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let num = 0;
  let den = 0;
  for (let i = 0; i < b.length; i++) {
    num = Math.max(num, Math.abs(a[i]! - b[i]!));
    den = Math.max(den, Math.abs(b[i]!));
  }
  return den === 0 ? num : num / den;
}
