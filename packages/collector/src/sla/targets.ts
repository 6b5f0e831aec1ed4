// A contract's service levels: response and resolution targets per priority, counted in covered time of the
// contract's calendar, and the share of a target after which a ticket is shown at risk.
import { type Static, Type } from '@sinclair/typebox';
import { DurationSchema, parseDuration } from '@vigie/shared';
import { PRIORITIES, type Priority } from '../tickets/priority.js';
import {
  type CoverageCalendar,
  CoverageCalendarSchema,
  coverageCalendarProblems,
  createCoverageCalendar,
} from './calendar.js';
import { SlaConfigError, schemaProblems } from './config-error.js';

export const DEFAULT_AT_RISK_SHARE = 0.75;

const TargetsSchema = Type.Object(
  { P1: DurationSchema, P2: DurationSchema, P3: DurationSchema, P4: DurationSchema },
  {
    additionalProperties: false,
    description: "covered time per priority: '6h' on a 09:00-18:00 calendar is 6 business hours",
  },
);

export const SlaContractSchema = Type.Object(
  {
    calendar: CoverageCalendarSchema,
    response: TargetsSchema,
    resolution: TargetsSchema,
    atRiskShare: Type.Optional(
      Type.Number({
        exclusiveMinimum: 0,
        maximum: 1,
        default: DEFAULT_AT_RISK_SHARE,
        description: 'default 0.75',
      }),
    ),
  },
  { additionalProperties: false },
);
export type SlaContractConfig = Static<typeof SlaContractSchema>;

/** A validated contract: targets in ms of covered time. */
export interface SlaContract {
  calendar: CoverageCalendar;
  response: Record<Priority, number>;
  resolution: Record<Priority, number>;
  atRiskShare: number;
}

/** Validates a contract config; throws a SlaConfigError naming each bad key. */
export function createSlaContract(config: unknown): SlaContract {
  const problems = slaContractProblems(config);
  if (problems.length > 0) throw new SlaConfigError('SLA contract', problems);
  const c = config as SlaContractConfig;
  return {
    calendar: createCoverageCalendar(c.calendar),
    response: parseTargets(c.response),
    resolution: parseTargets(c.resolution),
    atRiskShare: c.atRiskShare ?? DEFAULT_AT_RISK_SHARE,
  };
}

const TargetsPartSchema = Type.Omit(SlaContractSchema, ['calendar']);

function slaContractProblems(config: unknown): string[] {
  if (typeof config !== 'object' || config === null || Array.isArray(config)) {
    return schemaProblems(SlaContractSchema, config, '');
  }
  // The calendar is checked by its kind, so that errors name its real keys rather than "union".
  const { calendar, ...targets } = config as Record<string, unknown>;
  const problems = [
    ...schemaProblems(TargetsPartSchema, targets, ''),
    ...(calendar === undefined
      ? ['/calendar: Expected required property']
      : coverageCalendarProblems(calendar, '/calendar')),
  ];
  if (problems.length > 0) return problems;
  const c = config as SlaContractConfig;
  const response = parseTargets(c.response);
  const resolution = parseTargets(c.resolution);
  for (const p of PRIORITIES) {
    if (response[p] <= 0) problems.push(`/response/${p}: a target must be longer than 0`);
    if (resolution[p] < response[p]) {
      problems.push(
        `/resolution/${p}: ${c.resolution[p]} is shorter than the response target ${c.response[p]}`,
      );
    }
  }
  return problems;
}

function parseTargets(t: Static<typeof TargetsSchema>): Record<Priority, number> {
  return {
    P1: parseDuration(t.P1),
    P2: parseDuration(t.P2),
    P3: parseDuration(t.P3),
    P4: parseDuration(t.P4),
  };
}
