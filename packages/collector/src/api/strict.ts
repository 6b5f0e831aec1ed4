// Strict request validation for a group of routes: no type coercion (a "5" is not a 5), no silently dropped
// properties (an unknown one is refused), every error as { error, message, field? } with a stable code.
import { Ajv, type ErrorObject } from 'ajv';
import type { FastifyError, FastifyInstance } from 'fastify';
import { ApiError } from './errors.js';

const ajv = new Ajv({
  coerceTypes: false,
  removeAdditional: false,
  useDefaults: false,
  allErrors: false,
  strict: false,
});

const PART_CODES: Record<string, string> = {
  body: 'invalid_body',
  querystring: 'invalid_query',
  params: 'invalid_params',
  headers: 'invalid_headers',
};

/** The JSON pointer of the property an Ajv error is about (a missing or unknown one included). */
export function errorField(e: ErrorObject): string {
  const p = e.params as { missingProperty?: string; additionalProperty?: string };
  const name = p.missingProperty ?? p.additionalProperty;
  return name === undefined ? e.instancePath || '/' : `${e.instancePath}/${name}`;
}

function errorMessage(e: ErrorObject): string {
  const p = e.params as { additionalProperty?: string };
  if (p.additionalProperty !== undefined) return `unknown property "${p.additionalProperty}"`;
  return e.message ?? 'is invalid';
}

/**
 * Registers `routes` in an encapsulated scope of `app` with the strict validator and error format. Other errors
 * keep the collector's format: an ApiError as { error, message }, anything else as a 500 logged.
 */
export async function strictRoutes(
  app: FastifyInstance,
  routes: (scope: FastifyInstance) => void | Promise<void>,
): Promise<void> {
  await app.register(async (scope) => {
    scope.setValidatorCompiler(({ schema }) => ajv.compile(schema));
    scope.setErrorHandler((err: FastifyError & { validationContext?: string }, req, reply) => {
      if (err instanceof ApiError) {
        const field = err instanceof FieldError ? { field: err.field } : {};
        return reply.code(err.statusCode).send({ error: err.code, message: err.message, ...field });
      }
      if (err.validation) {
        const part = err.validationContext ?? 'body';
        const first = err.validation[0] as ErrorObject | undefined;
        const field = first ? errorField(first) : '/';
        return reply.code(400).send({
          error: PART_CODES[part] ?? 'invalid_request',
          message: `${part === 'querystring' ? 'query' : part} ${field}: ${first ? errorMessage(first) : 'is invalid'}`,
          field,
        });
      }
      if (err.statusCode && err.statusCode < 500)
        return reply.code(err.statusCode).send({ error: err.code ?? 'bad_request', message: err.message });
      req.log.error({ err: err.message, url: req.url }, 'request failed');
      return reply
        .code(500)
        .send({ error: 'internal_error', message: 'the collector could not answer; see its log' });
    });
    await routes(scope);
  });
}

/** An API error about one field of the request: rendered with `field`. */
export class FieldError extends ApiError {
  constructor(statusCode: number, code: string, message: string, field: string) {
    super(statusCode, code, message, field);
  }
}
