// A module resolution hook: `@lmo/*` imports resolve to the workspace's TypeScript sources (each
// package.json's `@lmo/source` export condition), as `node --conditions=@lmo/source` would.
export async function resolve(specifier, context, nextResolve) {
  return nextResolve(specifier, { ...context, conditions: ['@lmo/source', ...context.conditions] });
}
