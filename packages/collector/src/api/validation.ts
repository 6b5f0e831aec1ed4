// Strict request validation for every route, from the TypeBox schema it declares: bodies are checked as sent
// (no coercion, no removal of unknown properties, no defaults filled in), query strings and path parameters
// are only parsed (a declared integer or boolean is read from its text) and then checked the same way. The
// first problem is answered 400 `bad_request` naming the field. Also: the one error body shape, and the
// headers every answer carries.
import type { TSchema } from '@sinclair/typebox';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import { Value } from '@sinclair/typebox/value';
import type {
  FastifyError,
  FastifyInstance,
  FastifyReply,
  FastifyRequest,
  FastifySchemaCompiler,
} from 'fastify';
import { ApiError, CODE_BY_STATUS, errorResponses } from './errors.js';

/** Where a value came from, as fastify names it, in the words a client knows. */
const PART: Record<string, string> = {
  body: 'body',
  querystring: 'querystring',
  params: 'params',
  headers: 'headers',
};

export const strictValidatorCompiler: FastifySchemaCompiler<TSchema> = ({ schema, httpPart }) => {
  const check = TypeCompiler.Compile(schema);
  const part = PART[httpPart ?? 'body'] ?? 'body';
  // Query strings and path parameters are text: reading a declared number from it is parsing, not coercion.
  const parse = part === 'querystring' || part === 'params';
  return (data: unknown) => {
    const value = parse ? Value.Convert(schema, data) : data;
    if (check.Check(value)) return { value };
    const first = check.Errors(value).First();
    const field = `${part}${first?.path ?? ''}`;
    const message =
      first === undefined
        ? `${part} is invalid`
        : data === null && part === 'body'
          ? 'a JSON body is required'
          : `${field}: ${first.message}${describe(first.schema)}`;
    return { error: new ApiError(400, 'bad_request', message, field) };
  };
};

function describe(schema: TSchema): string {
  return typeof schema.description === 'string' ? ` (${schema.description})` : '';
}

/** Every error as { error, message, field? } with a stable code; the details of a 5xx only in the log. */
export function sendError(err: FastifyError | ApiError, req: FastifyRequest, reply: FastifyReply) {
  if (err instanceof ApiError) {
    const body: Record<string, string> = { error: err.code, message: err.message };
    if (err.field !== undefined) body.field = err.field;
    return reply.code(err.statusCode).send(body);
  }
  const status = err.statusCode ?? 500;
  if (status < 500) {
    return reply.code(status).send({ error: CODE_BY_STATUS[status] ?? 'bad_request', message: err.message });
  }
  // The live feed takes its API key in the query string: never log it.
  req.log.error(
    { err: err.message, url: req.url.replace(/([?&]key=)[^&]*/g, '$1[redacted]') },
    'request failed',
  );
  return reply
    .code(500)
    .send({ error: 'internal_error', message: 'the collector could not answer; see its log' });
}

/** Validation, error shape and answer headers for the whole app. */
export function hardenApi(app: FastifyInstance): void {
  app.setValidatorCompiler(strictValidatorCompiler);
  app.setErrorHandler(sendError);
  app.setNotFoundHandler((req, reply) =>
    reply.code(404).send({ error: 'not_found', message: `no route ${req.method} ${req.url.split('?')[0]}` }),
  );
  // Every API route documents its errors in the one shape: a route that names none gets the ones any route
  // can answer (bad request, no or wrong key, out of the key's scope, not found).
  app.addHook('onRoute', (route) => {
    if (!route.url.startsWith('/api/') || route.url === '/api/live') return;
    route.schema = route.schema ?? {};
    const schema = route.schema as { response?: Record<string, unknown> };
    const response = schema.response ?? {};
    if (Object.keys(response).some((status) => status.startsWith('4'))) return;
    schema.response = { ...errorResponses(400, 401, 403, 404), ...response };
  });
  app.addHook('onSend', async (_req, reply, payload) => {
    reply.header('x-content-type-options', 'nosniff');
    // Answers hold tenants' data and credentials: never kept by a cache. Static assets set their own policy.
    if (!reply.hasHeader('cache-control')) reply.header('cache-control', 'no-store');
    return payload;
  });
}
