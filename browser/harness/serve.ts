/**
 * A static file server for a built site on 127.0.0.1 (an ephemeral port). Browser tests serve
 * everything from here — scripts, styles and the WebAssembly binaries of tfjs-backend-wasm and
 * onnxruntime-web — so a page never needs the network.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize, sep } from 'node:path';

const TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.wasm': 'application/wasm',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
};

/** A running server: its origin (`http://127.0.0.1:<port>`) and how to stop it. */
export interface StaticServer {
  readonly origin: string;
  close(): Promise<void>;
}

/** Options of {@link serveDirectory}. */
export interface ServeOptions {
  /** The page answered with status 404 for a missing file (a path inside `root`); plain text otherwise. */
  readonly notFound?: string;
}

/** Resolves a URL path to a file under `root`: the path itself, `<path>.html` or `<path>/index.html`. */
function fileFor(root: string, urlPath: string): string | undefined {
  const path = decodeURIComponent(urlPath.split('?')[0]!.split('#')[0]!);
  const candidates = [path, path.endsWith('/') ? `${path}index.html` : `${path}.html`, `${path}/index.html`];
  for (const candidate of candidates) {
    const file = normalize(join(root, candidate));
    if (!file.startsWith(root + sep)) continue;
    if (existsSync(file) && statSync(file).isFile()) return file;
  }
  return undefined;
}

/** Serves the files under `root` (an absolute path) until `close()`. */
export async function serveDirectory(root: string, options: ServeOptions = {}): Promise<StaticServer> {
  const server: Server = createServer((req, res) => {
    const file = fileFor(root, req.url ?? '/');
    if (!file) {
      const page = options.notFound === undefined ? undefined : join(root, options.notFound);
      res.writeHead(404, { 'content-type': page ? TYPES['.html']! : 'text/plain; charset=utf-8' });
      res.end(page && existsSync(page) ? readFileSync(page) : 'not found');
      return;
    }
    res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream' });
    res.end(readFileSync(file));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
