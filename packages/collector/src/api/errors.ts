// Typed API errors: an HTTP status and a stable code, rendered as { error, message }.
import { Type } from '@sinclair/typebox';

export class ApiError extends Error {
  constructor(
    readonly statusCode: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export const ErrorBodySchema = Type.Object({ error: Type.String(), message: Type.String() });
