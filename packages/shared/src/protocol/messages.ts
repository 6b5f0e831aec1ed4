// Every message between agent and collector: one schema each, the TypeScript type derived from it.
import { type Static, type TSchema, Type } from '@sinclair/typebox';
import { EnvironmentSchema, ResultSchema } from '../result.js';

const v = Type.Number({ description: 'protocol version' });
const Id = Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9_.:-]+$' });

// ---- agent -> collector ----

export const HelloSchema = Type.Object(
  {
    v,
    type: Type.Literal('hello'),
    agent: Type.Object(
      {
        host: Type.String({ minLength: 1, maxLength: 253, pattern: '^[A-Za-z0-9_.-]+$' }),
        environment: EnvironmentSchema,
        application: Type.String({ minLength: 1, maxLength: 100 }),
        version: Type.String({ maxLength: 40 }),
      },
      { additionalProperties: false },
    ),
  },
  { additionalProperties: false },
);
export type Hello = Static<typeof HelloSchema>;

export const ResultsBatchSchema = Type.Object(
  {
    v,
    type: Type.Literal('results'),
    batchId: Id,
    results: Type.Array(ResultSchema, { minItems: 1 }),
  },
  { additionalProperties: false },
);
export type ResultsBatch = Static<typeof ResultsBatchSchema>;

/** A host fingerprint: flat item keys (`os.kernel`, `package.openssl`, ...) to string values. */
export const DriftSnapshotSchema = Type.Object(
  {
    v,
    type: Type.Literal('drift.snapshot'),
    snapshotId: Id,
    checkId: Id,
    takenAt: Type.String({ format: 'date-time', maxLength: 40 }),
    full: Type.Boolean({ description: 'true: items is the whole fingerprint; false: only changes' }),
    baseSnapshotId: Type.Optional(
      Type.String({ maxLength: 64, description: 'with full: false, the snapshot these changes apply to' }),
    ),
    items: Type.Record(Type.String({ minLength: 1, maxLength: 300 }), Type.String({ maxLength: 4000 }), {
      maxProperties: 50000,
    }),
    removed: Type.Array(Type.String({ maxLength: 300 }), { maxItems: 50000 }),
  },
  { additionalProperties: false },
);
export type DriftSnapshot = Static<typeof DriftSnapshotSchema>;

/** Something the agent itself must report, e.g. results it had to drop because its outbox was full. */
export const AgentEventSchema = Type.Object(
  {
    v,
    type: Type.Literal('event'),
    eventId: Id,
    at: Type.String({ format: 'date-time', maxLength: 40 }),
    kind: Type.Union([Type.Literal('outbox.dropped')]),
    details: Type.Record(
      Type.String({ maxLength: 60 }),
      Type.Union([Type.Number(), Type.String({ maxLength: 500 })]),
      {
        maxProperties: 20,
      },
    ),
  },
  { additionalProperties: false },
);
export type AgentEvent = Static<typeof AgentEventSchema>;

export const AgentMessageSchema = Type.Union([
  HelloSchema,
  ResultsBatchSchema,
  DriftSnapshotSchema,
  AgentEventSchema,
]);
export type AgentMessage = Static<typeof AgentMessageSchema>;

// ---- collector -> agent ----

export const WelcomeSchema = Type.Object(
  {
    v,
    type: Type.Literal('welcome'),
    sessionId: Type.String(),
    tenant: Type.String(),
    limits: Type.Object({ maxBatch: Type.Integer(), maxFrameBytes: Type.Integer() }),
    heartbeatMs: Type.Integer(),
  },
  { additionalProperties: false },
);
export type Welcome = Static<typeof WelcomeSchema>;

export const AckSchema = Type.Object(
  {
    v,
    type: Type.Literal('ack'),
    batchId: Id,
    accepted: Type.Integer({ minimum: 0 }),
    duplicates: Type.Integer({ minimum: 0 }),
  },
  { additionalProperties: false },
);
export type Ack = Static<typeof AckSchema>;

export const ErrorFrameSchema = Type.Object(
  {
    v,
    type: Type.Literal('error'),
    code: Type.String(),
    message: Type.String(),
    batchId: Type.Optional(Type.String()),
  },
  { additionalProperties: false },
);
export type ErrorFrame = Static<typeof ErrorFrameSchema>;

/** The collector lacks the base of a delta (or wants to check): the agent sends that check's full fingerprint. */
export const SnapshotRequestSchema = Type.Object(
  { v, type: Type.Literal('snapshot.request'), checkId: Id, reason: Type.String({ maxLength: 300 }) },
  { additionalProperties: false },
);
export type SnapshotRequest = Static<typeof SnapshotRequestSchema>;

export const CollectorMessageSchema = Type.Union([
  WelcomeSchema,
  AckSchema,
  ErrorFrameSchema,
  SnapshotRequestSchema,
]);
export type CollectorMessage = Static<typeof CollectorMessageSchema>;

export const AGENT_MESSAGE_SCHEMAS: Record<AgentMessage['type'], TSchema> = {
  hello: HelloSchema,
  results: ResultsBatchSchema,
  'drift.snapshot': DriftSnapshotSchema,
  event: AgentEventSchema,
};
export const COLLECTOR_MESSAGE_SCHEMAS: Record<CollectorMessage['type'], TSchema> = {
  welcome: WelcomeSchema,
  ack: AckSchema,
  error: ErrorFrameSchema,
  'snapshot.request': SnapshotRequestSchema,
};
