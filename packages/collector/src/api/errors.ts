// Typed API errors: an HTTP status and a stable code, rendered as { error, message, field? } everywhere.
import { type TSchema, Type } from '@sinclair/typebox';

export class ApiError extends Error {
  constructor(
    readonly statusCode: number,
    readonly code: string,
    message: string,
    /** The request field at fault: `body/assignee`, `querystring/status`, `params/id`. */
    readonly field?: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export const ErrorBodySchema = Type.Object(
  {
    error: Type.String({ description: 'a stable code, e.g. bad_request, ticket_not_found' }),
    message: Type.String({ description: 'what is wrong, for people' }),
    field: Type.Optional(
      Type.String({ description: 'the field at fault, e.g. body/assignee or querystring/status' }),
    ),
  },
  { description: 'every error answer has this shape' },
);

/** Response schemas of the error statuses a route can answer, for its OpenAPI description. */
export function errorResponses(...statuses: number[]): Record<number, TSchema> {
  return Object.fromEntries(statuses.map((s) => [s, ErrorBodySchema]));
}

/**
 * The stable code of an error that is not an ApiError (the framework's: unparsable JSON, body too large, wrong
 * content type...), by HTTP status; the framework's own codes (FST_ERR_*) are not part of the API.
 */
export const CODE_BY_STATUS: Record<number, string> = {
  400: 'bad_request',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not_found',
  405: 'method_not_allowed',
  406: 'not_acceptable',
  408: 'request_timeout',
  409: 'conflict',
  411: 'length_required',
  413: 'body_too_large',
  414: 'uri_too_long',
  415: 'unsupported_media_type',
  429: 'too_many_requests',
  431: 'headers_too_large',
  503: 'unavailable',
};
