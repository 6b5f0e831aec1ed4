// Decoding of frames: JSON, then version, then the schema of the declared type, with errors that say where.
import type { TSchema } from '@sinclair/typebox';
import { type TypeCheck, TypeCompiler } from '@sinclair/typebox/compiler';
import { type ValueError, ValueErrorType } from '@sinclair/typebox/value';
import './formats.js';
import { ResultSchema } from '../result.js';
import {
  AGENT_MESSAGE_SCHEMAS,
  type AgentMessage,
  COLLECTOR_MESSAGE_SCHEMAS,
  type CollectorMessage,
  ResultsEnvelopeSchema,
  ResultsEnvelopeV2Schema,
  SequencedResultSchema,
} from './messages.js';
import { type Dropped, screenResults } from './screen.js';
import { ErrorCode, SUPPORTED_VERSIONS } from './version.js';

/**
 * A decoded frame; `dropped` names what a results batch held that cannot be stored (left out of `message`). On
 * failure, `type` is the message type the frame declared, when it declared one (e.g. to answer 4005).
 */
export type Decoded<T> =
  | { ok: true; message: T; dropped: Dropped[] }
  | { ok: false; code: ErrorCode; error: string; type?: string };

const compiled = new Map<TSchema, TypeCheck<TSchema>>();
function checker(schema: TSchema): TypeCheck<TSchema> {
  let c = compiled.get(schema);
  if (!c) {
    c = TypeCompiler.Compile(schema);
    compiled.set(schema, c);
  }
  return c;
}

function formatError(e: ValueError): string {
  // Union errors say only "Expected union value": add what the schema describes (e.g. "a duration such as 30s").
  const hint =
    e.schema.description && e.type === ValueErrorType.Union ? ` (expected ${e.schema.description})` : '';
  return `${e.path || '/'}: ${e.message}${hint}`;
}

/** Describes the first few schema errors as `path: message` (path `/` for the root). */
export function describeErrors(schema: TSchema, value: unknown, max = 3): string {
  const out: string[] = [];
  for (const e of checker(schema).Errors(value)) {
    out.push(formatError(e));
    if (out.length >= max) break;
  }
  return out.join('; ');
}

/** A results batch: the envelope of its version must hold; each result is screened on its own (screen.ts). */
function decodeResults<T>(value: Record<string, unknown>, version: number): Decoded<T> {
  const envelopeSchema = version === 2 ? ResultsEnvelopeV2Schema : ResultsEnvelopeSchema;
  const resultSchema = version === 2 ? SequencedResultSchema : ResultSchema;
  if (!checker(envelopeSchema).Check(value)) {
    return {
      ok: false,
      code: ErrorCode.invalidMessage,
      error: describeErrors(envelopeSchema, value),
      type: 'results',
    };
  }
  const { results, dropped } = screenResults(
    value.results as unknown[],
    (r) => checker(resultSchema).Check(r),
    (r) => describeErrors(resultSchema, r),
  );
  return { ok: true, message: { ...value, results } as T, dropped };
}

function decode<T>(raw: string, byVersion: Record<number, Record<string, TSchema>>): Decoded<T> {
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch (err) {
    return {
      ok: false,
      code: ErrorCode.malformedJson,
      error: `frame is not JSON: ${(err as Error).message}`,
    };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { ok: false, code: ErrorCode.invalidMessage, error: '/: expected a JSON object' };
  }
  const obj = value as Record<string, unknown>;
  const type = typeof obj.type === 'string' ? obj.type.slice(0, 40) : undefined;
  const schemas = typeof obj.v === 'number' ? byVersion[obj.v] : undefined;
  if (!schemas || !SUPPORTED_VERSIONS.includes(obj.v as number)) {
    return {
      ok: false,
      code: ErrorCode.unsupportedVersion,
      error: `/v: protocol version ${JSON.stringify(obj.v)} is not supported (supported: ${SUPPORTED_VERSIONS.join(', ')})`,
      type,
    };
  }
  const schema = type !== undefined && Object.hasOwn(schemas, type) ? schemas[type] : undefined;
  if (!schema) {
    return {
      ok: false,
      code: ErrorCode.invalidMessage,
      error: `/type: unknown message type ${JSON.stringify(obj.type)} (expected one of ${Object.keys(schemas).join(', ')})`,
      type,
    };
  }
  if (type === 'results' && byVersion === AGENT_MESSAGE_SCHEMAS)
    return decodeResults<T>(obj, obj.v as number);
  if (!checker(schema).Check(value)) {
    return { ok: false, code: ErrorCode.invalidMessage, error: describeErrors(schema, value), type };
  }
  return { ok: true, message: value as T, dropped: [] };
}

export function decodeAgentMessage(raw: string): Decoded<AgentMessage> {
  return decode<AgentMessage>(raw, AGENT_MESSAGE_SCHEMAS);
}

export function decodeCollectorMessage(raw: string): Decoded<CollectorMessage> {
  return decode<CollectorMessage>(raw, COLLECTOR_MESSAGE_SCHEMAS);
}

/** Validates any value against a schema, returning path-named errors (used for configs too). */
export function validate<T>(
  schema: TSchema,
  value: unknown,
): { ok: true; value: T } | { ok: false; errors: string[] } {
  const c = checker(schema);
  if (c.Check(value)) return { ok: true, value: value as T };
  return { ok: false, errors: [...c.Errors(value)].map(formatError) };
}
