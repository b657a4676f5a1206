// The installer's page: GET / (HTML), /page.js and /page.css, embedded in the executable
// (src/page/assets-loader.ts), gzip-compressed once on first use, with a content security
// policy that allows nothing but this board. The page is static and holds no data; the data
// comes from /v1/stream and REST reads, which apply the board's read rule.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import type { Handler } from './http-server.ts';
import type { LiveStream } from './stream.ts';

export interface PageAssets {
  readonly html: string;
  readonly js: string;
  readonly css: string;
}

interface Asset {
  readonly type: string;
  readonly raw: Buffer;
  readonly gzip: Buffer;
  readonly etag: string;
}

const SECURITY_HEADERS = {
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-cache',
};

function asset(type: string, text: string): Asset {
  const raw = Buffer.from(text, 'utf8');
  return { type, raw, gzip: gzipSync(raw, { level: 9 }), etag: `"${createHash('sha256').update(raw).digest('base64url').slice(0, 16)}"` };
}

export function createPageHandler(load: () => Promise<PageAssets>): (req: IncomingMessage, res: ServerResponse, path: string) => Promise<void> {
  let assets: Promise<Map<string, Asset>> | undefined;
  const get = (): Promise<Map<string, Asset>> => (assets ??= load().then((a) => new Map([
    ['/', asset('text/html; charset=utf-8', a.html)],
    ['/page.js', asset('text/javascript; charset=utf-8', a.js)],
    ['/page.css', asset('text/css; charset=utf-8', a.css)],
  ])));
  return async (req, res, path) => {
    const a = (await get()).get(path)!;
    if (req.headers['if-none-match'] === a.etag) {
      res.writeHead(304, { etag: a.etag, ...SECURITY_HEADERS });
      res.end();
      return;
    }
    const gz = /\bgzip\b/.test(String(req.headers['accept-encoding'] ?? ''));
    const body = gz ? a.gzip : a.raw;
    res.writeHead(200, {
      'content-type': a.type, 'content-length': body.byteLength, etag: a.etag, vary: 'accept-encoding',
      ...(gz ? { 'content-encoding': 'gzip' } : {}), ...SECURITY_HEADERS,
    });
    res.end(req.method === 'HEAD' ? undefined : body);
  };
}

const PAGE_PATHS = new Set(['/', '/index.html', '/page.js', '/page.css']);

/** Routes the page and the live stream; everything else goes to the REST handler. */
export function withInstallerPage(rest: Handler, page: ReturnType<typeof createPageHandler>, stream: LiveStream): Handler {
  return (req, res) => {
    const path = (req.url ?? '/').split('?')[0]!;
    const method = req.method ?? 'GET';
    if ((method === 'GET' || method === 'HEAD') && PAGE_PATHS.has(path)) return page(req, res, path === '/index.html' ? '/' : path);
    if (method === 'GET' && path === '/v1/stream') return stream.handle(req, res);
    return rest(req, res);
  };
}
