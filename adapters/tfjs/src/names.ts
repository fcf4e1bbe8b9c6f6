/**
 * Variable names. tf.layers makes every variable name unique by appending `_<n>` when a name is
 * taken (`dense_Dense1/kernel`, then `dense_Dense1/kernel_1` for the same layer in a model loaded
 * in the same process). The canonical name drops that suffix, so groups, layouts and saved state
 * follow a weight from one model instance to the next.
 */

const UNIQUE_SUFFIX = /_\d+$/;

/** The name without tfjs's uniquifying `_<n>` suffix. */
export function canonicalName(name: string): string {
  return name.replace(UNIQUE_SUFFIX, '');
}

/** The last path segment of the canonical name: `kernel`, `bias`, `embeddings`, `gamma`, … */
export function baseName(name: string): string {
  const canonical = canonicalName(name);
  return canonical.slice(canonical.lastIndexOf('/') + 1);
}
