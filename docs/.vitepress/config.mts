import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { defineConfig, type DefaultTheme } from 'vitepress';
import { workspaceSources } from '../../vitest.sources.js';

// Written by scripts/typedoc.mjs (typedoc-vitepress-theme) before every dev/build run.
const apiSidebarFile = fileURLToPath(new URL('../api/typedoc-sidebar.json', import.meta.url));
const apiSidebar: DefaultTheme.SidebarItem[] = existsSync(apiSidebarFile)
  ? (JSON.parse(readFileSync(apiSidebarFile, 'utf8')) as DefaultTheme.SidebarItem[])
  : [];

/** A sidebar section from `[text, link]` pairs. */
const section = (text: string, links: readonly (readonly [string, string])[]): DefaultTheme.SidebarItem => ({
  text,
  items: links.map(([label, link]) => ({ text: label, link })),
});

const guide: DefaultTheme.SidebarItem[] = [
  section('Getting started', [
    ['Overview and install', '/guide/getting-started'],
    ['With TensorFlow.js', '/guide/tfjs'],
    ['With onnxruntime', '/guide/onnxruntime'],
    ['With gpu.js', '/guide/gpujs'],
    ['In the browser', '/guide/browser'],
  ]),
  section('Guides', [
    ['Fine-tune an ONNX model', '/guide/onnx-training'],
    ['Choosing norms and scales', '/guide/norms'],
    ['Hyperparameters and schedules', '/guide/hyperparameters'],
    ['Checkpointing optimizer state', '/guide/checkpointing'],
    ['From lmo to PyTorch and back', '/guide/torch-handoff'],
    ['Implement your own backend', '/guide/custom-backend'],
    ['Errors and what they mean', '/guide/errors'],
    ['Migrating to 0.2', '/guide/migration'],
  ]),
  section('Concepts', [
    ['The unified update rule', '/concepts/update-rule'],
    ['Newton–Schulz and Polar Express', '/concepts/orthogonalization'],
    ['Architecture', '/concepts/architecture'],
  ]),
  { text: 'Playground', link: '/playground' },
  { text: 'Benchmarks', link: '/benchmarks' },
  { text: 'LR transfer and tuning', link: '/tuning' },
];

export default defineConfig({
  title: 'lmo',
  description:
    'Norm-constrained LMO optimizers for TypeScript: Scion, uSCG, SCG, ScionLight, with Muon, signSGD and normalized SGD as special cases.',
  lang: 'en-US',
  cleanUrls: false,
  lastUpdated: false,
  // Dead links fail the build (VitePress default); keep it that way.
  srcExclude: ['CI.md', 'README.md', 'examples/**', 'examples-browser/**', 'test/**', 'test-browser/**', 'scripts/**', 'node_modules/**'],
  markdown: {
    math: true,
    lineNumbers: false,
  },
  themeConfig: {
    nav: [
      { text: 'Guide', link: '/guide/getting-started', activeMatch: '^/guide/' },
      { text: 'Concepts', link: '/concepts/update-rule', activeMatch: '^/concepts/' },
      { text: 'API', link: '/api/', activeMatch: '^/api/' },
      { text: 'Playground', link: '/playground' },
      { text: 'Benchmarks', link: '/benchmarks' },
      { text: 'Tuning', link: '/tuning' },
    ],
    sidebar: {
      '/guide/': guide,
      '/concepts/': guide,
      '/benchmarks': guide,
      '/playground': guide,
      '/tuning': guide,
      '/api/': [{ text: 'API reference', link: '/api/', items: apiSidebar }],
    },
    outline: { level: [2, 3] },
    search: { provider: 'local' },
    footer: {
      message: 'Released under the MIT License.',
      copyright: 'Pethick et al. 2025, “Training Deep Learning Models with Norm-Constrained LMOs”, arXiv:2502.07529',
    },
  },
  vite: {
    server: { host: '127.0.0.1' },
    // The @lmo/* packages from their TypeScript sources, as the tests use them: the site builds and
    // serves without `pnpm build` first, and never shows a stale dist/.
    ...workspaceSources,
  },
});
