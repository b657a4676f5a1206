// The page's routes and live stream on a real HTTP server: assets gzip-compressed with an
// ETag and a content security policy; the stream's read rule, its client cap, and a client
// that stops reading being cut off instead of buffered for.
import t, { type Test } from 'tap';
import { request } from 'node:http';
import { gunzipSync } from 'node:zlib';
import { listenHttp } from '../../src/api/http-server.ts';
import { createPageHandler, withInstallerPage } from '../../src/api/page.ts';
import { createReadAccess } from '../../src/api/read-access.ts';
import { LiveStream, MAX_STREAM_CLIENTS, STREAM_BUFFER_CAP_BYTES, type LiveEvent, type LiveSource } from '../../src/api/stream.ts';
import { sendJson } from '../../src/api/http-server.ts';

class Source implements LiveSource {
  readonly listeners = new Set<(e: LiveEvent) => void>();
  initial(): LiveEvent[] {
    return [{ event: 'hello', data: { id: 'b1' } }];
  }
  subscribe(send: (e: LiveEvent) => void): () => void {
    this.listeners.add(send);
    return () => this.listeners.delete(send);
  }
  emit(e: LiveEvent): void {
    for (const l of this.listeners) l(e);
  }
}

async function serve(t: Test, readRule = createReadAccess({ writeToken: undefined, anonymousRead: true })) {
  const source = new Source();
  const stream = new LiveStream(source, readRule);
  const page = createPageHandler(async () => ({ html: '<!doctype html><p>page</p>', js: 'console.log(1)'.repeat(100), css: 'p{}' }));
  const http = await listenHttp({ host: '127.0.0.1', port: 0 }, withInstallerPage((_req, res) => sendJson(res, 404, { rest: true }), page, stream));
  t.teardown(async () => {
    stream.closeAll();
    await http.close();
  });
  return { source, stream, base: `http://127.0.0.1:${http.port}` };
}

t.test('assets: gzip, ETag, 304, security headers; other paths go to REST', async (t) => {
  const { base } = await serve(t);
  const res = await fetch(`${base}/page.js`, { headers: { 'accept-encoding': 'gzip' } });
  t.equal(res.status, 200);
  t.equal(res.headers.get('content-type'), 'text/javascript; charset=utf-8');
  t.match(res.headers.get('content-security-policy'), /default-src 'none'; script-src 'self'/);
  t.equal(await res.text(), 'console.log(1)'.repeat(100), 'the body (fetch decompresses it)');
  const raw = await new Promise<{ encoding: string | undefined; body: Buffer }>((resolve, reject) => {
    request(`${base}/`, { headers: { 'accept-encoding': 'gzip' } }, (r) => {
      const chunks: Buffer[] = [];
      r.on('data', (c: Buffer) => chunks.push(c));
      r.on('end', () => resolve({ encoding: r.headers['content-encoding'], body: Buffer.concat(chunks) }));
    }).on('error', reject).end();
  });
  t.equal(raw.encoding, 'gzip');
  t.equal(gunzipSync(raw.body).toString(), '<!doctype html><p>page</p>');
  const etag = res.headers.get('etag')!;
  t.equal((await fetch(`${base}/page.js`, { headers: { 'if-none-match': etag } })).status, 304, 'unchanged: 304');
  t.same(await (await fetch(`${base}/v1/areas`)).json(), { rest: true }, 'REST routes are untouched');
  t.equal((await fetch(`${base}/page.js`, { method: 'POST' })).status, 404, 'only GET and HEAD serve the page');
});

t.test('the stream: initial state, live events, the read rule, the client cap', async (t) => {
  const { source, stream, base } = await serve(t, createReadAccess({ writeToken: 'tok', anonymousRead: false }));
  t.equal((await fetch(`${base}/v1/stream`)).status, 401, 'closed reads: no token, no stream');
  const open = async (): Promise<{ text: () => string; abort: AbortController }> => {
    const abort = new AbortController();
    const res = await fetch(`${base}/v1/stream`, { headers: { authorization: 'Bearer tok' }, signal: abort.signal });
    t.equal(res.headers.get('content-type'), 'text/event-stream; charset=utf-8');
    let text = '';
    void (async () => {
      try {
        for await (const chunk of res.body!) text += Buffer.from(chunk).toString();
      } catch {
        // aborted
      }
    })();
    return { text: () => text, abort };
  };
  const first = await open();
  source.emit({ event: 'change', data: { revision: 7 } });
  for (let i = 0; i < 100 && !first.text().includes('revision'); i++) await new Promise((r) => setTimeout(r, 10));
  t.match(first.text(), /retry: 1000\n\nevent: hello\ndata: \{"id":"b1"\}\n\nevent: change\ndata: \{"revision":7\}\n\n/);
  const more = [];
  for (let i = 1; i < MAX_STREAM_CLIENTS; i++) more.push(await open());
  t.equal(stream.size, MAX_STREAM_CLIENTS);
  const refused = await fetch(`${base}/v1/stream`, { headers: { authorization: 'Bearer tok' } });
  t.equal(refused.status, 503, `the ${MAX_STREAM_CLIENTS + 1}th stream is refused`);
  t.equal(((await refused.json()) as { error: { code: string } }).error.code, 'TOO_MANY_STREAMS');
  for (const c of [first, ...more]) c.abort.abort();
  for (let i = 0; i < 100 && stream.size > 0; i++) await new Promise((r) => setTimeout(r, 10));
  t.equal(stream.size, 0, 'closed streams are forgotten');
  t.equal(source.listeners.size, 0, 'and the source is let go');
});

t.test('a client that stops reading is cut off, not buffered for', async (t) => {
  const { source, stream, base } = await serve(t);
  // A raw request whose response is never read: the socket's buffers fill up.
  const req = request(`${base}/v1/stream`);
  req.on('response', (res) => res.pause());
  req.on('error', () => {});
  req.end();
  for (let i = 0; i < 100 && stream.size === 0; i++) await new Promise((r) => setTimeout(r, 10));
  const big = 'x'.repeat(64 * 1024);
  for (let i = 0; i < 2 * STREAM_BUFFER_CAP_BYTES / big.length + 64 && stream.size > 0; i++) {
    source.emit({ event: 'big', data: big });
    await new Promise((r) => setImmediate(r));
  }
  t.equal(stream.size, 0, 'cut off');
  t.equal(stream.counters.cutOff, 1);
  req.destroy();
});
