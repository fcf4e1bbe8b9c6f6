// Generates the API reference (docs/api/, git-ignored) from the packages' TSDoc with TypeDoc,
// typedoc-plugin-markdown and typedoc-vitepress-theme. Run before `vitepress dev|build`.
//
// Entry points are the public entry files of each published package. A package whose entry file
// does not exist yet is left out with a notice (adapters land one by one), so the site always builds
// from what the repository holds; scripts/api-modules.json records what was generated for the site
// config and the tests.
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Application, ReflectionKind } from 'typedoc';
import { workspaceEntries } from '../../scripts/package-entries.mjs';

const docs = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const root = resolve(docs, '..');
const out = join(docs, 'api');

/** Public module name → entry file (relative to the repository root), from each package.json. */
export const ENTRY_POINTS = workspaceEntries().map((e) => [e.specifier, e.source]);

const present = ENTRY_POINTS.filter(([, file]) => existsSync(join(root, file)));
for (const [name, file] of ENTRY_POINTS) {
  if (!present.some(([n]) => n === name)) console.log(`typedoc: ${name} left out (${file} does not exist yet)`);
}

rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });

const app = await Application.bootstrapWithPlugins({
  name: 'lmo API',
  entryPoints: present.map(([, file]) => join(root, file)),
  entryPointStrategy: 'resolve',
  tsconfig: join(docs, 'tsconfig.api.json'),
  plugin: ['typedoc-plugin-markdown', 'typedoc-vitepress-theme'],
  out,
  docsRoot: docs,
  readme: 'none',
  // Compile errors are the packages' own `typecheck`'s business; the reference only needs declarations.
  skipErrorChecking: true,
  excludePrivate: true,
  excludeInternal: true,
  githubPages: false,
  hideGenerator: true,
  disableSources: true,
  sort: ['kind', 'instance-first', 'alphabetical-ignoring-documents'],
  // typedoc-plugin-markdown
  outputFileStrategy: 'members',
  entryFileName: 'index',
  hidePageHeader: true,
  hideBreadcrumbs: true,
  useCodeBlocks: true,
  parametersFormat: 'table',
  interfacePropertiesFormat: 'table',
  classPropertiesFormat: 'table',
  typeDeclarationFormat: 'table',
  sanitizeComments: true,
  sidebar: { autoConfiguration: true, format: 'vitepress', pretty: true, collapsed: true },
  validation: { notExported: false, invalidLink: true, notDocumented: false },
});

// Each entry file names its module with `@module <import path>` in its package comment.
const project = await app.convert();
if (!project) {
  console.error('typedoc: conversion failed');
  process.exit(1);
}
await app.generateOutputs(project);
if (app.logger.hasErrors()) {
  console.error('typedoc: finished with errors');
  process.exit(1);
}
const modules = (project.children ?? []).filter((m) => m.kindOf(ReflectionKind.Module)).map((m) => m.name);
writeFileSync(join(out, 'modules.json'), JSON.stringify({ modules }, null, 2) + '\n');
console.log(`typedoc: wrote ${relative(root, out)} (${modules.join(', ')})`);
