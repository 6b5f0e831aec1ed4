// The NOC page's routes: the page itself (GET /, built from web/), its static assets (GET /static/*) and the live feed
// (GET /api/live, server-sent events telling open pages what changed, scoped by the API key's tenant).
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { extname, isAbsolute, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Static, Type } from '@sinclair/typebox';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ApiError } from '../api/errors.js';
import { findApiKey } from '../store/credentials.js';
import type { Db } from '../store/open.js';
import type { LiveEvent, LiveFeed } from './live.js';

/** Who an API key is: `tenantId` null for a provider key (every tenant), else the client's own tenant. */
export type Authenticate = (key: string) => Promise<{ tenantId: string | null } | undefined>;

export interface WebDeps {
  feed: LiveFeed;
  db: Db;
  /** Resolves an API key; default: the store's API keys (unknown or revoked keys resolve to undefined). */
  authenticate?: Authenticate;
  /** Interval of the SSE heartbeat comment, which also checks the key is still valid. Default 15 s. */
  heartbeatMs?: number;
  /** Open live streams at most; more are refused with 503. Default 500. */
  maxStreams?: number;
}

// The page as built by Vite (web/, `npm run build:page`) into dist/page/; the same relative path from src/web/
// (tests run the TypeScript) and from dist/web/.
const STATIC_DIR = fileURLToPath(new URL('../../dist/page/', import.meta.url));

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
};

// The page loads only its own scripts and styles; scripts build the DOM with textContent, never from HTML.
const PAGE_HEADERS = {
  'content-security-policy':
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
} as const;

/**
 * The file under the static folder named by a URL path (already percent-decoded), or undefined when the path
 * is not a plain relative path inside it (`..`, `.`, empty segments, backslashes, NUL, absolute paths) or has
 * an extension not served.
 */
export function staticFile(urlPath: string, root: string = STATIC_DIR): string | undefined {
  if (urlPath === '' || urlPath.length > 200 || /[\\\0:]/.test(urlPath)) return undefined;
  const segments = urlPath.split('/');
  if (segments.some((s) => s === '' || s === '.' || s === '..' || s.startsWith('.'))) return undefined;
  if (!CONTENT_TYPES[extname(urlPath).toLowerCase()]) return undefined;
  const full = resolve(root, ...segments);
  const rel = relative(root, full);
  if (rel === '' || rel.startsWith(`..${sep}`) || rel === '..' || isAbsolute(rel)) return undefined;
  return full;
}

async function sendStatic(req: FastifyRequest, reply: FastifyReply, file: string | undefined) {
  const notFound = () =>
    reply.code(404).send({ error: 'not_found', message: `no route ${req.method} ${req.url}` });
  if (!file) return notFound();
  let body: Buffer;
  try {
    body = await readFile(file);
  } catch {
    // Missing, or a directory: the same answer as any unknown path.
    return notFound();
  }
  const etag = `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"`;
  reply.headers(PAGE_HEADERS);
  reply.header('cache-control', 'no-cache');
  reply.header('etag', etag);
  if (req.headers['if-none-match'] === etag) return reply.code(304).send();
  const type = CONTENT_TYPES[extname(file).toLowerCase()] ?? 'application/octet-stream';
  return reply.type(type).send(body);
}

/** The API key of a request: `Authorization: Bearer`, `X-API-Key`, or `?key=` (EventSource sets no header). */
function presentedKey(req: FastifyRequest, queryKey: string | undefined): string | undefined {
  const h = req.headers.authorization;
  if (h) {
    const m = /^Bearer\s+(\S+)$/i.exec(h);
    return m ? m[1] : undefined;
  }
  const k = req.headers['x-api-key'];
  if (typeof k === 'string' && k !== '') return k;
  return queryKey === '' ? undefined : queryKey;
}

const LiveQuery = Type.Object(
  {
    key: Type.Optional(Type.String({ description: 'the API key, for EventSource (which sets no header)' })),
    tenant: Type.Optional(Type.String({ description: 'provider key: only this tenant' })),
  },
  { additionalProperties: false },
);

/** One open SSE stream. */
interface Stream {
  close(): void;
}

/** Registers GET /, GET /static/* and GET /api/live on `app` (before it listens). */
export function registerWebRoutes(app: FastifyInstance, deps: WebDeps): void {
  const authenticate: Authenticate =
    deps.authenticate ??
    (async (key) => {
      const row = await findApiKey(deps.db, key);
      return row ? { tenantId: row.tenant_id } : undefined;
    });
  const heartbeatMs = deps.heartbeatMs ?? 15_000;
  const maxStreams = deps.maxStreams ?? 500;
  const streams = new Set<Stream>();

  app.get('/', { schema: { hide: true } }, (req, reply) => sendStatic(req, reply, staticFile('index.html')));
  app.get<{ Params: { '*': string } }>('/static/*', { schema: { hide: true } }, (req, reply) =>
    sendStatic(req, reply, staticFile(req.params['*'])),
  );

  // Open streams would keep the server from closing: end them first.
  app.addHook('preClose', (done) => {
    for (const s of [...streams]) s.close();
    done();
  });

  app.get<{ Querystring: Static<typeof LiveQuery> }>(
    '/api/live',
    {
      schema: {
        tags: ['live'],
        summary: 'Server-sent events: what changed (tickets, agents, results), for the NOC page',
        description:
          'text/event-stream of `data: {"type":"ticket","tenant","ticketId","action"}`, ' +
          '`{"type":"agent","tenant","host"}` or `{"type":"results","tenant","host"}`; a client key gets only ' +
          'its own tenant. A `ready` event first, then a comment line as heartbeat every 15 s.',
        querystring: LiveQuery,
      },
    },
    async (req, reply) => {
      const key = presentedKey(req, req.query.key);
      if (!key)
        throw new ApiError(
          401,
          'missing_api_key',
          'send an API key as "Authorization: Bearer <key>", "X-API-Key" or ?key=',
        );
      const who = await authenticate(key);
      if (!who) throw new ApiError(401, 'invalid_api_key', 'unknown or revoked API key');
      const requested = req.query.tenant;
      if (who.tenantId !== null && requested !== undefined && requested !== who.tenantId)
        throw new ApiError(403, 'forbidden_tenant', 'this API key cannot see another tenant');
      const tenant = who.tenantId ?? requested ?? null;
      if (streams.size >= maxStreams)
        throw new ApiError(503, 'too_many_streams', 'too many open live streams; try again later');

      reply.hijack();
      const res = reply.raw;
      res.writeHead(200, {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-cache, no-store, no-transform',
        'x-accel-buffering': 'no',
        'x-content-type-options': 'nosniff',
        // The stream is the connection's last response: once it ends, the socket closes (and app.close()
        // does not wait on a keep-alive socket).
        connection: 'close',
      });
      let open = true;
      const write = (chunk: string) => {
        if (!open) return;
        res.write(chunk);
        // A client that stopped reading: drop it rather than buffer events for it without bound.
        if (res.writableLength > 1024 * 1024) stream.close();
      };
      const stream: Stream = {
        close() {
          if (!open) return;
          open = false;
          unsubscribe();
          clearInterval(heartbeat);
          streams.delete(stream);
          res.end();
        },
      };
      const unsubscribe = deps.feed.subscribe((event: LiveEvent) => {
        if (tenant !== null && event.tenant !== tenant) return;
        write(`data: ${JSON.stringify(event)}\n\n`);
      });
      const heartbeat = setInterval(() => {
        write(`: heartbeat ${new Date().toISOString()}\n\n`);
        // A key revoked since the stream opened stops receiving events within one heartbeat.
        authenticate(key).then(
          (still) => {
            if (!open || still) return;
            write(`event: revoked\ndata: ${JSON.stringify({ message: 'unknown or revoked API key' })}\n\n`);
            stream.close();
          },
          () => undefined,
        );
      }, heartbeatMs);
      heartbeat.unref();
      streams.add(stream);
      res.on('close', () => stream.close());
      res.on('error', () => stream.close());
      write(`retry: 3000\nevent: ready\ndata: ${JSON.stringify({ tenant })}\n\n`);
    },
  );
}
