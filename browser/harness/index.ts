/** What the browser tests (this package's and the docs site's) share: Chromium and a static server. */
export { BASE_FLAGS, WEBGPU_FLAGS, chromiumPath, hasChromium, launchChromium, type LaunchOptions } from './chromium.js';
export { serveDirectory, type ServeOptions, type StaticServer } from './serve.js';
