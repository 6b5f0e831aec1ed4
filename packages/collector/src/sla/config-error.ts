// A rejected SLA configuration (coverage calendar or contract), listing each problem with its key path.
import type { TObject, TSchema, TUnion } from '@sinclair/typebox';
import { validate } from '@vigie/shared';

export class SlaConfigError extends Error {
  constructor(
    readonly subject: string,
    readonly problems: readonly string[],
  ) {
    super(`invalid ${subject}: ${problems.join('; ')}`);
    this.name = 'SlaConfigError';
  }
}

/** Schema errors as `path: message`, every path prefixed with `at` (the key the value sits under). */
export function schemaProblems(schema: TSchema, value: unknown, at: string): string[] {
  const r = validate(schema, value);
  if (r.ok) return [];
  return r.errors.map((e) => (e.startsWith('/:') ? `${at || '/'}${e.slice(1)}` : `${at}${e}`));
}

/** Checks a `{ kind: ... }` union against the member its kind names, so errors name the real key. */
export function kindProblems(union: TUnion<TObject[]>, value: unknown, at: string): string[] {
  const kindOf = (v: TObject) => (v.properties.kind as TSchema & { const: string }).const;
  const kind = (value as { kind?: unknown } | null | undefined)?.kind;
  const variant = union.anyOf.find((v) => kindOf(v) === kind);
  if (!variant) {
    const kinds = union.anyOf.map(kindOf).join(', ');
    return [`${at}/kind: expected one of ${kinds}, got ${JSON.stringify(kind)}`];
  }
  return schemaProblems(variant, value, at);
}
