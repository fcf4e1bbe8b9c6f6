/**
 * Headless Chromium for the browser tests: Debian's `/usr/bin/chromium` (or `CHROMIUM_PATH`),
 * driven by playwright-core (which downloads no browser of its own).
 *
 * Flags, as found on Chromium 156 (Debian 12) on a machine without a GPU:
 * - WebGL 2 needs nothing: with or without `--disable-gpu`, Chromium falls back to ANGLE on
 *   SwiftShader (renderer "ANGLE (Google, Vulkan 1.3.0 (SwiftShader Device (Subzero)))", float
 *   render targets included), which is what tfjs-backend-webgl needs.
 * - WebGPU needs `--enable-unsafe-webgpu`: `navigator.gpu.requestAdapter()` then returns Dawn's
 *   SwiftShader adapter (`info.architecture === 'swiftshader'`, `isFallbackAdapter === true`).
 *   `navigator.gpu` exists only in secure contexts: serve pages from `http://127.0.0.1`, not `file:`.
 */
import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

/** Where Chromium is expected (`CHROMIUM_PATH` overrides Debian's path). */
export const chromiumPath: string = process.env.CHROMIUM_PATH || '/usr/bin/chromium';

/** Flags every test launch uses: headless, no sandbox (CI runs as root), no network chatter. */
export const BASE_FLAGS: readonly string[] = [
  '--headless',
  '--no-sandbox',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** Added for WebGPU (Dawn on SwiftShader when there is no GPU). */
export const WEBGPU_FLAGS: readonly string[] = ['--enable-unsafe-webgpu'];

/** Whether a Chromium executable is present. */
export function hasChromium(): boolean {
  return existsSync(chromiumPath);
}

/** Options of {@link launchChromium}. */
export interface LaunchOptions {
  /** Expose WebGPU (default true). */
  readonly webgpu?: boolean;
  /** Further flags. */
  readonly extraFlags?: readonly string[];
}

/** Launches headless Chromium with {@link BASE_FLAGS} (+ {@link WEBGPU_FLAGS}). */
export async function launchChromium(options: LaunchOptions = {}): Promise<Browser> {
  const args = [...BASE_FLAGS, ...(options.webgpu === false ? [] : WEBGPU_FLAGS), ...(options.extraFlags ?? [])];
  return chromium.launch({ executablePath: chromiumPath, headless: true, args });
}
