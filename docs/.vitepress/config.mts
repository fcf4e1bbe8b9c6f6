import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { defineConfig, type DefaultTheme } from 'vitepress';

// Written by scripts/typedoc.mjs (typedoc-vitepress-theme) before every dev/build run.
const apiSidebarFile = fileURLToPath(new URL('../api/typedoc-sidebar.json', import.meta.url));
const apiSidebar: DefaultTheme.SidebarItem[] = existsSync(apiSidebarFile)
  ? (JSON.parse(readFileSync(apiSidebarFile, 'utf8')) as DefaultTheme.SidebarItem[])
  : [];

const guide: DefaultTheme.SidebarItem[] = [
  {
    text: 'Getting started',
    items: [
      { text: 'Overview and install', link: '/guide/getting-started' },
      { text: 'With TensorFlow.js', link: '/guide/tfjs' },
      { text: 'With onnxruntime', link: '/guide/onnxruntime' },
      { text: 'With gpu.js', link: '/guide/gpujs' },
    ],
  },
  {
    text: 'Guides',
    items: [
      { text: 'Choosing norms and scales', link: '/guide/norms' },
      { text: 'Hyperparameters and schedules', link: '/guide/hyperparameters' },
      { text: 'Checkpointing optimizer state', link: '/guide/checkpointing' },
      { text: 'Implement your own backend', link: '/guide/custom-backend' },
      { text: 'Errors and what they mean', link: '/guide/errors' },
    ],
  },
  {
    text: 'Concepts',
    items: [
      { text: 'The unified update rule', link: '/concepts/update-rule' },
      { text: 'Newton–Schulz and Polar Express', link: '/concepts/orthogonalization' },
      { text: 'Architecture and engine notes', link: '/concepts/architecture' },
    ],
  },
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
  srcExclude: ['CI.md', 'README.md', 'examples/**', 'test/**', 'test-browser/**', 'scripts/**', 'node_modules/**'],
  markdown: {
    math: true,
    lineNumbers: false,
  },
  themeConfig: {
    nav: [
      { text: 'Guide', link: '/guide/getting-started', activeMatch: '^/guide/' },
      { text: 'Concepts', link: '/concepts/update-rule', activeMatch: '^/concepts/' },
      { text: 'API', link: '/api/', activeMatch: '^/api/' },
      { text: 'Benchmarks', link: '/benchmarks' },
      { text: 'Tuning', link: '/tuning' },
    ],
    sidebar: {
      '/guide/': guide,
      '/concepts/': guide,
      '/benchmarks': guide,
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
  },
});
