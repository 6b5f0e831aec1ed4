// A tenant's TMA contract: its type (forfait, régie, ticket book), dates, scope, which ticket kinds count
// against it, and the settings of its type. One TypeBox schema gives the validation and the TypeScript type.
import { type Static, Type } from '@sinclair/typebox';
import { validate } from '@vigie/shared';
import { assertTimeZone } from '../sla/wall-clock.js';
import type { TicketTable } from '../store/schema.js';
import type { Priority } from '../tickets/priority.js';
import type { SupportLevel } from '../tickets/workflow.js';

export const CONTRACT_TYPES = ['forfait', 'regie', 'ticket-book'] as const;
export type ContractType = (typeof CONTRACT_TYPES)[number];
/** Ticket kinds a contract may count: monitoring-born corrective tickets, drift tickets, manual requests. */
export const COUNTED_KINDS = ['corrective', 'drift', 'request'] as const;
export type CountedKind = (typeof COUNTED_KINDS)[number];
export const LANGUAGES = ['fr', 'en'] as const;
export type Language = (typeof LANGUAGES)[number];

const strict = { additionalProperties: false } as const;
const DateSchema = Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2}$', description: 'YYYY-MM-DD' });
const Name = Type.String({ minLength: 1, maxLength: 255 });
const Units = Type.Integer({ minimum: 0, maximum: 1_000_000 });
const LevelPrices = Type.Object({ N1: Units, N2: Units, N3: Units }, strict);

export const PriceTableSchema = Type.Object(
  { P1: LevelPrices, P2: LevelPrices, P3: LevelPrices, P4: LevelPrices },
  { ...strict, description: 'units per ticket by priority and by the highest support level it reached' },
);
export type PriceTable = Static<typeof PriceTableSchema>;

export const TicketBookSchema = Type.Object(
  {
    initialUnits: Type.Integer({ minimum: 0, maximum: 1_000_000, description: 'units bought at signature' }),
    deductAt: Type.Union([Type.Literal('resolved'), Type.Literal('opened')], {
      description: 'when a ticket is deducted: at resolution (default practice) or as soon as it opens',
    }),
    prices: PriceTableSchema,
    lowBalance: Type.Integer({
      minimum: 0,
      maximum: 1_000_000,
      description: 'at or under this balance the provider and the client are notified',
    }),
  },
  strict,
);

export const RegieSchema = Type.Object(
  {
    daysPerMonth: Type.Number({
      minimum: 0,
      maximum: 10_000,
      description: 'contracted person-days per month',
    }),
    hoursPerDay: Type.Number({ exclusiveMinimum: 0, maximum: 24, description: 'hours in a contracted day' }),
  },
  strict,
);

/** What a provider sends to create or replace a contract (the tenant comes with creation only). */
export const ContractDefinitionSchema = Type.Object(
  {
    type: Type.Union(
      CONTRACT_TYPES.map((t) => Type.Literal(t)),
      { description: CONTRACT_TYPES.join(' | ') },
    ),
    name: Type.String({ minLength: 1, maxLength: 200 }),
    startsOn: DateSchema,
    endsOn: Type.Union([DateSchema, Type.Null()], { description: 'last day covered; null: open-ended' }),
    timeZone: Type.String({
      minLength: 1,
      maxLength: 64,
      description: 'IANA zone of the client: dates, reports',
    }),
    language: Type.Union(
      LANGUAGES.map((l) => Type.Literal(l)),
      { description: 'language of the client deliverables' },
    ),
    scope: Type.Object(
      {
        applications: Type.Array(Name, { maxItems: 1000, uniqueItems: true }),
        hosts: Type.Array(Name, { maxItems: 10_000, uniqueItems: true }),
      },
      {
        ...strict,
        description: 'both empty: everything of the tenant; else an application or a host listed',
      },
    ),
    counts: Type.Array(Type.Union(COUNTED_KINDS.map((k) => Type.Literal(k))), {
      uniqueItems: true,
      description: 'ticket kinds that count against the contract',
    }),
    ticketBook: Type.Optional(TicketBookSchema),
    regie: Type.Optional(RegieSchema),
  },
  strict,
);
export type ContractDefinition = Static<typeof ContractDefinitionSchema>;

/** Schema problems plus the rules a schema cannot say; empty when the definition is good. */
export function definitionProblems(value: unknown): string[] {
  const checked = validate<ContractDefinition>(ContractDefinitionSchema, value);
  if (!checked.ok) return checked.errors;
  const d = checked.value;
  const problems: string[] = [];
  if (d.type === 'ticket-book' && !d.ticketBook)
    problems.push('/ticketBook: required for a ticket-book contract');
  if (d.type !== 'ticket-book' && d.ticketBook) problems.push(`/ticketBook: only for a ticket-book contract`);
  if (d.type === 'regie' && !d.regie) problems.push('/regie: required for a regie contract');
  if (d.type !== 'regie' && d.regie) problems.push('/regie: only for a regie contract');
  if (!isRealDate(d.startsOn)) problems.push(`/startsOn: ${d.startsOn} is not a date`);
  if (d.endsOn !== null && !isRealDate(d.endsOn)) problems.push(`/endsOn: ${d.endsOn} is not a date`);
  if (d.endsOn !== null && d.endsOn < d.startsOn) problems.push('/endsOn: before startsOn');
  try {
    assertTimeZone(d.timeZone);
  } catch (err) {
    problems.push(`/timeZone: ${(err as Error).message}`);
  }
  return problems;
}

function isRealDate(s: string): boolean {
  const t = Date.parse(`${s}T00:00:00Z`);
  return !Number.isNaN(t) && new Date(t).toISOString().slice(0, 10) === s;
}

/** The group a ticket belongs to for counting: drift tickets, manual requests, or monitoring-born corrective ones. */
export function countedKindOf(t: Pick<TicketTable, 'kind' | 'check_id'>): CountedKind {
  if (t.kind === 'request') return 'request';
  if (t.check_id.startsWith('parity:')) return 'drift';
  return 'corrective';
}

/** Whether a ticket's host or application is in the contract's scope. Drift tickets carry the application as host. */
export function inScope(d: ContractDefinition, t: Pick<TicketTable, 'host' | 'application'>): boolean {
  const { applications, hosts } = d.scope;
  if (applications.length === 0 && hosts.length === 0) return true;
  return applications.includes(t.application ?? '') || hosts.includes(t.host);
}

/** The local date (YYYY-MM-DD) of an instant in a time zone. */
export function localDate(instant: Date, timeZone: string): string {
  // en-CA formats dates as YYYY-MM-DD.
  return new Intl.DateTimeFormat('en-CA', {
    timeZone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
  }).format(instant);
}

/** Whether the contract runs on the local date of `instant`. */
export function coversDate(d: ContractDefinition, instant: Date): boolean {
  const day = localDate(instant, d.timeZone);
  return day >= d.startsOn && (d.endsOn === null || day <= d.endsOn);
}

export function priceOf(prices: PriceTable, priority: Priority, level: SupportLevel): number {
  return prices[priority][level];
}
