// Every message between agent and collector: one schema each, the TypeScript type derived from it.
// Version 1 is the first protocol; version 2 adds a delivery stream (an outbox epoch and a sequence number on
// every result) so the collector recognises replays by a per-agent high-water mark, the agent's clock on
// every frame (skew), and `retryAfterMs` on errors (backpressure). A collector speaks both.
import { type Static, type TSchema, Type } from '@sinclair/typebox';
import { ApplicationNameSchema, EnvironmentSchema, ResultSchema } from '../result.js';

const v = Type.Literal(1, { description: 'protocol version' });
const v2 = Type.Literal(2, { description: 'protocol version' });
const Id = Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9_.:-]+$' });
const Time = Type.String({ format: 'date-time', maxLength: 40 });
/** An outbox's identity: sequence numbers restart from 1 only with a new epoch (a new outbox folder). */
const Epoch = Type.String({ minLength: 8, maxLength: 64, pattern: '^[A-Za-z0-9_-]+$' });
const Seq = Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER });

// ---- agent -> collector ----

const AgentIdentity = Type.Object(
  {
    host: Type.String({ minLength: 1, maxLength: 253, pattern: '^[A-Za-z0-9_.-]+$' }),
    environment: EnvironmentSchema,
    application: ApplicationNameSchema,
    version: Type.String({ maxLength: 40 }),
  },
  { additionalProperties: false },
);

export const HelloSchema = Type.Object(
  { v, type: Type.Literal('hello'), agent: AgentIdentity },
  { additionalProperties: false },
);
export const HelloV2Schema = Type.Object(
  {
    v: v2,
    type: Type.Literal('hello'),
    agent: AgentIdentity,
    /** The agent's outbox: results carry sequence numbers within this epoch. */
    stream: Type.Object({ epoch: Epoch }, { additionalProperties: false }),
    /** The agent's clock when it sent the frame (its skew against the collector's is measured from it). */
    sentAt: Time,
  },
  { additionalProperties: false },
);
export type Hello = Static<typeof HelloSchema> | Static<typeof HelloV2Schema>;

export const ResultsBatchSchema = Type.Object(
  {
    v,
    type: Type.Literal('results'),
    batchId: Id,
    results: Type.Array(ResultSchema, { minItems: 1 }),
  },
  { additionalProperties: false },
);
/** A result as sent in protocol 2: with its outbox sequence number. */
export const SequencedResultSchema = Type.Object(
  { ...ResultSchema.properties, seq: Seq },
  { additionalProperties: false },
);
export type SequencedResult = Static<typeof SequencedResultSchema>;
export const ResultsBatchV2Schema = Type.Object(
  {
    v: v2,
    type: Type.Literal('results'),
    batchId: Id,
    sentAt: Time,
    results: Type.Array(SequencedResultSchema, { minItems: 1 }),
  },
  { additionalProperties: false },
);
export type ResultsBatch = Static<typeof ResultsBatchSchema> | Static<typeof ResultsBatchV2Schema>;

/**
 * A results batch as first checked: its envelope only. Each result is then screened on its own (screen.ts), so
 * that one result the collector cannot store is left out rather than refusing the whole batch.
 */
export const ResultsEnvelopeSchema = Type.Object(
  { v, type: Type.Literal('results'), batchId: Id, results: Type.Array(Type.Unknown(), { minItems: 1 }) },
  { additionalProperties: false },
);
export const ResultsEnvelopeV2Schema = Type.Object(
  {
    v: v2,
    type: Type.Literal('results'),
    batchId: Id,
    sentAt: Time,
    results: Type.Array(Type.Unknown(), { minItems: 1 }),
  },
  { additionalProperties: false },
);

/** A host fingerprint: flat item keys (`os.kernel`, `package.openssl`, ...) to string values. */
export const DriftSnapshotSchema = Type.Object(
  {
    v: Type.Union([v, v2]),
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
    v: Type.Union([v, v2]),
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

export type AgentMessage = Hello | ResultsBatch | DriftSnapshot | AgentEvent;

// ---- collector -> agent ----

const welcomeFields = {
  type: Type.Literal('welcome'),
  sessionId: Type.String(),
  tenant: Type.String(),
  limits: Type.Object({ maxBatch: Type.Integer(), maxFrameBytes: Type.Integer() }),
  heartbeatMs: Type.Integer(),
};
export const WelcomeSchema = Type.Object({ v, ...welcomeFields }, { additionalProperties: false });
export const WelcomeV2Schema = Type.Object(
  {
    v: v2,
    ...welcomeFields,
    /**
     * The highest sequence number of this epoch the collector has handled: the agent may forget entries up to
     * it (their ack was lost) instead of sending them again.
     */
    stream: Type.Object(
      { epoch: Epoch, highWater: Type.Integer({ minimum: 0 }) },
      { additionalProperties: false },
    ),
  },
  { additionalProperties: false },
);
export type Welcome = Static<typeof WelcomeSchema> | Static<typeof WelcomeV2Schema>;

export const AckSchema = Type.Object(
  {
    v: Type.Union([v, v2]),
    type: Type.Literal('ack'),
    batchId: Id,
    accepted: Type.Integer({ minimum: 0 }),
    duplicates: Type.Integer({ minimum: 0 }),
  },
  { additionalProperties: false },
);
export type Ack = Static<typeof AckSchema>;

const errorFields = {
  type: Type.Literal('error'),
  code: Type.String(),
  message: Type.String(),
  batchId: Type.Optional(Type.String()),
};
export const ErrorFrameSchema = Type.Object({ v, ...errorFields }, { additionalProperties: false });
export const ErrorFrameV2Schema = Type.Object(
  {
    v: v2,
    ...errorFields,
    /** Send the batch again after this long (the collector is over capacity, or the agent over its rate). */
    retryAfterMs: Type.Optional(Type.Integer({ minimum: 0 })),
  },
  { additionalProperties: false },
);
export type ErrorFrame = Static<typeof ErrorFrameSchema> | Static<typeof ErrorFrameV2Schema>;

/** The collector lacks the base of a delta (or wants to check): the agent sends that check's full fingerprint. */
export const SnapshotRequestSchema = Type.Object(
  {
    v: Type.Union([v, v2]),
    type: Type.Literal('snapshot.request'),
    checkId: Id,
    reason: Type.String({ maxLength: 300 }),
  },
  { additionalProperties: false },
);
export type SnapshotRequest = Static<typeof SnapshotRequestSchema>;

export type CollectorMessage = Welcome | Ack | ErrorFrame | SnapshotRequest;

/** The schema of each message type, by protocol version. */
export const AGENT_MESSAGE_SCHEMAS: Record<number, Record<AgentMessage['type'], TSchema>> = {
  1: {
    hello: HelloSchema,
    results: ResultsBatchSchema,
    'drift.snapshot': DriftSnapshotSchema,
    event: AgentEventSchema,
  },
  2: {
    hello: HelloV2Schema,
    results: ResultsBatchV2Schema,
    'drift.snapshot': DriftSnapshotSchema,
    event: AgentEventSchema,
  },
};
export const COLLECTOR_MESSAGE_SCHEMAS: Record<number, Record<CollectorMessage['type'], TSchema>> = {
  1: {
    welcome: WelcomeSchema,
    ack: AckSchema,
    error: ErrorFrameSchema,
    'snapshot.request': SnapshotRequestSchema,
  },
  2: {
    welcome: WelcomeV2Schema,
    ack: AckSchema,
    error: ErrorFrameV2Schema,
    'snapshot.request': SnapshotRequestSchema,
  },
};
