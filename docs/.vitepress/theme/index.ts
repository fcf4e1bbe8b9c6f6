import type { Theme } from 'vitepress';
import DefaultTheme from 'vitepress/theme';
import { defineAsyncComponent } from 'vue';

export default {
  extends: DefaultTheme,
  enhanceApp({ app }) {
    // Loaded on demand: only the playground page pulls in TensorFlow.js and its wasm binaries.
    app.component(
      'LmoPlayground',
      defineAsyncComponent(() => import('./playground/Playground.vue')),
    );
  },
} satisfies Theme;
