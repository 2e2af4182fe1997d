/**
 * The browser tests' page: test/browser/page.ts bundled with esbuild from the package's public entry
 * (`graphc` resolves to the built dist/, as in a user's project), with its source map, served on
 * 127.0.0.1 by Node's http with the data sets of data/: plainly, cross-origin isolated (COOP and COEP,
 * which is what lets a page share memory with a Worker), or under a strict content security policy.
 * Also the peers: Debian's chromium and puppeteer-core, found or not.
 */
import { build } from 'esbuild';
import { createServer, type Server } from 'node:http';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = fileURLToPath(new URL('../../', import.meta.url));
export const CHROMIUM = '/usr/bin/chromium';

/** puppeteer-core, if installed (a dev dependency), and Debian's chromium: what the browser tests need. */
export const hasChromium = existsSync(CHROMIUM);
export const hasPuppeteer = (() => {
  try {
    createRequire(import.meta.url).resolve('puppeteer-core');
    return true;
  } catch {
    return false;
  }
})();

export interface Bundle {
  readonly js: string;
  readonly map: string;
}

/** The page's bundle, as if written to the repository's root as page.js beside page.js.map (not written). */
export async function bundlePage(entry = 'test/browser/page.ts'): Promise<Bundle> {
  const r = await build({ entryPoints: [join(root, entry)], bundle: true, write: false, outfile: join(root, 'page.js'), format: 'esm', platform: 'browser', target: 'es2022', sourcemap: true, logLevel: 'silent' });
  const get = (ext: string) => r.outputFiles.find((f) => f.path.endsWith(ext))!.text;
  return { js: get('.js'), map: get('.js.map') };
}

const html = '<!doctype html><meta charset="utf-8"><title>graphc</title><script type="module" src="/page.js"></script>\n';

export interface Served {
  readonly url: string;
  close(): Promise<void>;
}

/**
 * Serves the page, its bundle and map, and data/*.csv; `isolated`: with COOP and COEP on every answer;
 * `strict`: with a content security policy that lets scripts come from the page's origin and compile
 * WebAssembly, but not generate code from strings ('unsafe-eval' absent).
 */
export async function servePage(b: Bundle, isolated: boolean, strict = false): Promise<Served> {
  const server: Server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://127.0.0.1').pathname;
    const headers: Record<string, string> = {
      ...(isolated && { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' }),
      ...(strict && { 'Content-Security-Policy': "script-src 'self' 'wasm-unsafe-eval'" }),
    };
    const send = (type: string, body: string) => {
      res.writeHead(200, { ...headers, 'Content-Type': type });
      res.end(body);
    };
    if (path === '/' || path === '/index.html') return send('text/html', html);
    if (path === '/page.js') return send('text/javascript', b.js);
    if (path === '/page.js.map') return send('application/json', b.map);
    if (path === '/favicon.ico') {
      res.writeHead(204, headers);
      return res.end();
    }
    const data = /^\/data\/([\w.-]+\.csv)$/.exec(path);
    if (data && existsSync(join(root, 'data', data[1]))) return send('text/csv', readFileSync(join(root, 'data', data[1]), 'utf8'));
    res.writeHead(404, headers);
    res.end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  return {
    url: `http://127.0.0.1:${port}/`,
    // the browser keeps its connections open: end them, or close() waits for them for minutes
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** Starts headless chromium (never downloads one); null when a peer is missing. */
export async function launchChromium() {
  if (!hasChromium || !hasPuppeteer) return null;
  const puppeteer = (await import('puppeteer-core')).default;
  const root = typeof process.getuid === 'function' && process.getuid() === 0;
  return puppeteer.launch({ executablePath: CHROMIUM, headless: true, args: [...(root ? ['--no-sandbox'] : []), '--disable-gpu', '--disable-dev-shm-usage'] });
}
