// Reading the Grafana dashboards of dashboards/grafana/: their model, the structural rules they follow, and
// their InfluxQL queries with the template variables substituted as Grafana would.
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { ROOT } from './process.js';

export const DASHBOARDS_DIR = join(ROOT, 'dashboards/grafana');
export const DATASOURCE_UID = 'vigie-influxdb';
/** The identity tags, in the order the template variables chain. */
export const IDENTITY_VARIABLES = ['tenant', 'application', 'environment', 'host'] as const;
/** Panel types the dashboards may use (rows only group panels). */
export const PANEL_TYPES = ['timeseries', 'stat', 'table', 'bargauge', 'state-timeline', 'row'];
/** Measurements the collector writes without a `host` tag. */
export const NO_HOST_MEASUREMENTS = ['vigie_tickets', 'vigie_parity'];
/** Measurements written only when they change: their "now" panels read the latest point, whatever the range. */
export const ON_CHANGE_MEASUREMENTS = ['vigie_parity'];
/** Measurements the collector writes besides one per check type. */
export const VIGIE_MEASUREMENTS = [
  'vigie_check',
  'vigie_agent',
  'vigie_tickets',
  'vigie_ticket_event',
  'vigie_parity',
  'vigie_forecast',
];
/** Fields of the measurements the collector writes besides one per check type. */
export const VIGIE_FIELDS: Record<string, string[]> = {
  vigie_check: ['status_code', 'agent_status_code', 'duration_ms'],
  vigie_agent: ['up', 'silent_seconds'],
  vigie_tickets: ['open', 'at_risk', 'breached'],
  vigie_ticket_event: ['count', 'time_to_acknowledge_seconds', 'time_to_resolve_seconds', 'occurrences'],
  vigie_parity: ['critical', 'warning', 'info', 'at_parity'],
  vigie_forecast: ['seconds', 'slope_per_hour', 'quality', 'points', 'at_risk'],
};
/** Tags a raw SELECT may list next to a field. */
const TAGS = [
  'tenant',
  'application',
  'environment',
  'host',
  'check',
  'category',
  'instance',
  'type',
  'priority',
  'kind',
  'metric',
  'rule',
];
/** Grafana's own variables that InfluxQL queries may use. */
const BUILTIN_VARIABLES = [
  'timeFilter',
  '__interval',
  '__interval_ms',
  '__from',
  '__to',
  '__range',
  '__range_s',
];

/**
 * Every measurement the collector writes, with its fields: one per check type (named after it, `-` as `_`),
 * its fields read from the metric tables of the check's README, and the vigie_* ones.
 */
export function knownMeasurements(
  checksDir = join(ROOT, 'packages/agent/src/checks'),
): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  const readmes = readdirSync(checksDir, { recursive: true, encoding: 'utf8' }).filter((f) =>
    f.endsWith('README.md'),
  );
  for (const file of readmes) {
    const text = readFileSync(join(checksDir, file), 'utf8');
    const type = /^# `([a-z0-9-]+)`/.exec(text)?.[1];
    if (!type) throw new Error(`${relative(ROOT, join(checksDir, file))}: no "# \`type\`" heading`);
    const section = /^## Metrics\n([\s\S]*?)(?=^## |(?![\s\S]))/m.exec(text)?.[1] ?? '';
    const fields = new Set<string>();
    for (const line of section.split('\n')) {
      const firstCell = /^\|([^|]*)\|/.exec(line)?.[1] ?? '';
      for (const m of firstCell.matchAll(/`([a-z0-9_]+)(?:@[^`]*)?`/g)) fields.add(m[1] as string);
    }
    out.set(type.replace(/[^A-Za-z0-9_]/g, '_'), fields);
  }
  for (const [m, fields] of Object.entries(VIGIE_FIELDS)) out.set(m, new Set(fields));
  return out;
}

export interface DataSourceRef {
  type?: string;
  uid?: string;
}

export interface Target {
  refId: string;
  datasource?: DataSourceRef;
  rawQuery?: boolean;
  resultFormat?: string;
  query?: string;
  alias?: string;
}

export interface GridPos {
  x: number;
  y: number;
  w: number;
  h: number;
}

export interface Panel {
  id: number;
  type: string;
  title: string;
  datasource?: DataSourceRef;
  gridPos?: GridPos;
  targets?: Target[];
  panels?: Panel[];
}

export interface Variable {
  name: string;
  type: string;
  datasource?: DataSourceRef;
  query?: string;
  definition?: string;
  multi?: boolean;
  includeAll?: boolean;
  current?: { text?: string | string[]; value?: string | string[] };
  options?: unknown[];
}

export interface Annotation {
  name: string;
  datasource?: DataSourceRef;
  query?: string;
  /** The same query, where newer Grafana versions read it. */
  target?: { query?: string; rawQuery?: boolean };
}

export interface Dashboard {
  uid: string;
  title: string;
  schemaVersion: number;
  tags?: string[];
  panels: Panel[];
  templating?: { list: Variable[] };
  annotations?: { list: Annotation[] };
}

export interface DashboardFile {
  file: string;
  dashboard: Dashboard;
}

/** One InfluxQL query of a dashboard: a panel target or an annotation. */
export interface DashboardQuery {
  dashboard: string;
  /** `panel "<title>" (id N) target A`, or `annotation "<name>"`: unique in its dashboard. */
  where: string;
  panelTitle: string;
  refId: string;
  query: string;
  alias?: string;
}

export function loadDashboards(dir = DASHBOARDS_DIR): DashboardFile[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((file) => ({ file, dashboard: JSON.parse(readFileSync(join(dir, file), 'utf8')) as Dashboard }));
}

/** Every panel, rows' nested panels included. */
export function allPanels(d: Dashboard): Panel[] {
  return d.panels.flatMap((p) => [p, ...(p.panels ?? [])]);
}

export function dashboardQueries(d: Dashboard): DashboardQuery[] {
  const out: DashboardQuery[] = [];
  for (const p of allPanels(d)) {
    for (const t of p.targets ?? []) {
      out.push({
        dashboard: d.title,
        where: `panel "${p.title}" (id ${p.id}) target ${t.refId}`,
        panelTitle: p.title,
        refId: t.refId,
        query: t.query ?? '',
        alias: t.alias,
      });
    }
  }
  for (const a of d.annotations?.list ?? []) {
    if (a.query === undefined) continue;
    out.push({
      dashboard: d.title,
      where: `annotation "${a.name}"`,
      panelTitle: a.name,
      refId: 'annotation',
      query: a.query,
    });
  }
  return out;
}

/** The measurements a query reads (`FROM "name"`, subqueries included). */
export function measurementsOf(query: string): string[] {
  return [...query.matchAll(/\bFROM\s+"([^"]+)"/gi)].map((m) => m[1] as string);
}

/** Variables a query or alias refers to: `$name`, `${name}`, `${name:format}`, `[[name]]`. */
export function variableRefs(text: string): string[] {
  return [...text.matchAll(/\$\{(\w+)(?::\w+)?\}|\$(\w+)|\[\[(\w+)\]\]/g)].map(
    (m) => (m[1] ?? m[2] ?? m[3]) as string,
  );
}

const isVigieDs = (ds: DataSourceRef | undefined) => ds?.type === 'influxdb' && ds.uid === DATASOURCE_UID;

/** The rules every Vigie dashboard follows; returns one line per problem (empty when it follows them). */
export function structureProblems(d: Dashboard, known: ReadonlyMap<string, ReadonlySet<string>>): string[] {
  const problems: string[] = [];
  const say = (what: string) => problems.push(`${d.title || d.uid}: ${what}`);
  if (!/^vigie-[a-z0-9-]+$/.test(d.uid ?? '')) say(`uid "${d.uid}" is not vigie-<name>`);
  if (!d.title) say('no title');
  if (!(d.schemaVersion >= 36 && d.schemaVersion <= 41))
    say(`schemaVersion ${d.schemaVersion} is not 36..41`);
  if (!d.tags?.includes('vigie')) say('not tagged "vigie" (the dashboard links list dashboards by that tag)');

  // Template variables: the identity chain, from vigie_check, multi-select with All, no value saved.
  const vars = d.templating?.list ?? [];
  const names = vars.map((v) => v.name);
  if (JSON.stringify(names) !== JSON.stringify(IDENTITY_VARIABLES)) {
    say(`template variables are [${names.join(', ')}], expected [${IDENTITY_VARIABLES.join(', ')}]`);
  }
  vars.forEach((v, i) => {
    const before = IDENTITY_VARIABLES.slice(0, i);
    const want =
      `SHOW TAG VALUES FROM "vigie_check" WITH KEY = "${v.name}"` +
      (before.length > 0 ? ` WHERE ${before.map((p) => `"${p}" =~ /^$${p}$/`).join(' AND ')}` : '');
    if (v.type !== 'query') say(`variable ${v.name} is of type ${v.type}, not query`);
    if (!isVigieDs(v.datasource)) say(`variable ${v.name} does not use data source ${DATASOURCE_UID}`);
    if (v.query !== want) say(`variable ${v.name} query is ${JSON.stringify(v.query)}, expected ${want}`);
    if (v.multi !== true || v.includeAll !== true) say(`variable ${v.name} is not multi-select with All`);
    const saved = [v.current?.value ?? []].flat().filter((x) => x !== '$__all');
    if (saved.length > 0 || (v.options ?? []).length > 0) {
      say(`variable ${v.name} saves values (${JSON.stringify(v.current)}): names must not be hard-coded`);
    }
  });

  // Panels.
  const panels = allPanels(d);
  const ids = new Map<number, number>();
  for (const p of panels) ids.set(p.id, (ids.get(p.id) ?? 0) + 1);
  for (const [id, n] of ids) if (n > 1) say(`panel id ${id} is used ${n} times`);
  const titles = panels.filter((p) => p.type !== 'row').map((p) => p.title);
  for (const t of new Set(titles)) {
    if (titles.filter((x) => x === t).length > 1) say(`panel title "${t}" is used more than once`);
  }
  for (const p of panels) {
    const at = `panel "${p.title}" (id ${p.id})`;
    if (typeof p.id !== 'number') say(`${at} has no numeric id`);
    if (!p.title) say(`panel id ${p.id} has no title`);
    if (!PANEL_TYPES.includes(p.type))
      say(`${at} is of type ${p.type}, not one of ${PANEL_TYPES.join(', ')}`);
    const g = p.gridPos;
    if (!g || g.x < 0 || g.w < 1 || g.x + g.w > 24 || g.h < 1) say(`${at} has no valid gridPos`);
    if (p.type === 'row') continue;
    if (!isVigieDs(p.datasource)) say(`${at} does not use data source ${DATASOURCE_UID}`);
    if ((p.targets ?? []).length === 0) say(`${at} has no query`);
    for (const t of p.targets ?? []) {
      const tat = `${at} target ${t.refId}`;
      if (!isVigieDs(t.datasource)) say(`${tat} does not use data source ${DATASOURCE_UID}`);
      if (t.rawQuery !== true) say(`${tat} is not a raw InfluxQL query (rawQuery: true)`);
      if (t.resultFormat !== 'time_series' && t.resultFormat !== 'table') {
        say(`${tat} has resultFormat ${t.resultFormat}`);
      }
    }
  }
  for (const a of d.annotations?.list ?? []) {
    if (!isVigieDs(a.datasource)) say(`annotation "${a.name}" does not use data source ${DATASOURCE_UID}`);
    if (a.target?.query !== a.query || a.target?.rawQuery !== true) {
      say(`annotation "${a.name}" has no raw target holding the same query as its legacy "query"`);
    }
  }

  // Queries.
  for (const q of dashboardQueries(d)) problems.push(...queryProblems(q, names, known));
  return problems;
}

function queryProblems(
  q: DashboardQuery,
  variables: string[],
  known: ReadonlyMap<string, ReadonlySet<string>>,
): string[] {
  const problems: string[] = [];
  const say = (what: string) => problems.push(`${q.dashboard}: ${q.where}: ${what}\n    ${q.query}`);
  if (!/^SELECT\s/.test(q.query)) {
    say('is not an InfluxQL SELECT');
    return problems;
  }
  const measurements = measurementsOf(q.query);
  if (measurements.length === 0) say('reads no measurement');
  for (const m of measurements) if (!known.has(m)) say(`reads "${m}", which the collector does not write`);
  // Every field a SELECT list names is a field of a measurement read, a tag, or an alias of the query.
  const aliases = new Set([...q.query.matchAll(/\bAS\s+"([^"]+)"/g)].map((m) => m[1] as string));
  const fields = new Set(measurements.flatMap((m) => [...(known.get(m) ?? [])]));
  for (const list of q.query.matchAll(/SELECT\s+(.*?)\s+FROM\s/gs)) {
    const named = (list[1] as string).replace(/\bAS\s+"[^"]+"/g, '');
    for (const m of named.matchAll(/"([^"]+)"/g)) {
      const f = m[1] as string;
      if (!fields.has(f) && !aliases.has(f) && !TAGS.includes(f)) {
        say(`selects "${f}", not a field of ${measurements.join(', ')} (see the check README metrics)`);
      }
    }
  }
  // Every identity tag is filtered by its own variable, and only by it: never by a name written in the query.
  const required = IDENTITY_VARIABLES.filter(
    (v) => v !== 'host' || measurements.some((m) => !NO_HOST_MEASUREMENTS.includes(m)),
  );
  for (const v of required) {
    if (!q.query.includes(`"${v}" =~ /^$${v}$/`)) say(`does not filter "${v}" =~ /^$${v}$/`);
  }
  for (const m of q.query.matchAll(/"(tenant|application|environment|host)"\s*(=~|!~|<>|!=|=)\s*(\S+)/g)) {
    if (m[2] !== '=~' || m[3] !== `/^$${m[1]}$/`)
      say(`compares "${m[1]}" with ${m[2]} ${m[3]}: a hard-coded name`);
  }
  if (!q.query.includes('$timeFilter') && !measurements.every((m) => ON_CHANGE_MEASUREMENTS.includes(m))) {
    say('has no $timeFilter');
  }
  for (const ref of variableRefs(q.query)) {
    if (!variables.includes(ref) && !BUILTIN_VARIABLES.includes(ref))
      say(`uses $${ref}, which is not defined`);
  }
  // A legend `$tag_x` needs x in the GROUP BY of the outer query.
  const groupBy = /GROUP BY\s+(?!.*GROUP BY)(.*)$/s.exec(q.query)?.[1] ?? '';
  for (const m of (q.alias ?? '').matchAll(/\$tag_(\w+)/g)) {
    if (!groupBy.includes(`"${m[1]}"`))
      say(`alias uses $tag_${m[1]} but the query does not GROUP BY "${m[1]}"`);
  }
  return problems;
}

/** Values of the template variables for a run: one or several each. */
export type VariableValues = Record<(typeof IDENTITY_VARIABLES)[number], string[]>;

/** As Grafana escapes a value for an InfluxQL regular expression. */
function regexEscape(value: string): string {
  return value.replace(/[\\^$*+?.()|[\]{}/]/g, '\\$&');
}

/**
 * The query Grafana would send: variables as regular expressions (`(a|b)` for several values), `$timeFilter`
 * as `time > now() - <range>`, `$__interval` as `interval`.
 */
export function substitute(
  query: string,
  values: VariableValues,
  { range = '1h', interval = '1s' }: { range?: string; interval?: string } = {},
): string {
  return query.replace(/\$\{(\w+)(?::\w+)?\}|\$(\w+)|\[\[(\w+)\]\]/g, (whole, a, b, c) => {
    const name = (a ?? b ?? c) as string;
    if (name === 'timeFilter') return `time > now() - ${range}`;
    if (name === '__interval') return interval;
    const v = values[name as keyof VariableValues];
    if (!v) return whole;
    const escaped = v.map(regexEscape);
    return escaped.length === 1 ? (escaped[0] as string) : `(${escaped.join('|')})`;
  });
}

export interface InfluxSeries {
  name: string;
  tags?: Record<string, string>;
  columns: string[];
  values: unknown[][];
}

/** What a query returned: its series, or why it returned nothing useful. */
export interface QueryOutcome {
  series: InfluxSeries[];
  error?: string;
}

export async function runInfluxQL(url: string, db: string, query: string): Promise<QueryOutcome> {
  const r = await fetch(`${url}/query`, {
    method: 'POST',
    body: new URLSearchParams({ db, q: query, epoch: 'ms' }),
    signal: AbortSignal.timeout(10_000),
  });
  const text = await r.text();
  if (!r.ok) return { series: [], error: `HTTP ${r.status}: ${text.slice(0, 300)}` };
  const j = JSON.parse(text) as {
    error?: string;
    results?: Array<{ error?: string; series?: InfluxSeries[] }>;
  };
  const error = j.error ?? j.results?.find((x) => x.error !== undefined)?.error;
  return { series: j.results?.flatMap((x) => x.series ?? []) ?? [], error };
}

/** True when some series holds a non-null value outside the time column. */
export function hasValue(outcome: QueryOutcome): boolean {
  return outcome.series.some((s) => {
    const timeAt = s.columns.indexOf('time');
    return s.values.some((row) => row.some((v, i) => i !== timeAt && v !== null && v !== undefined));
  });
}

/** The largest number in the non-time columns of the series (for "at least one silent agent" checks). */
export function maxValue(outcome: QueryOutcome): number | undefined {
  let max: number | undefined;
  for (const s of outcome.series) {
    const timeAt = s.columns.indexOf('time');
    for (const row of s.values) {
      row.forEach((v, i) => {
        if (i !== timeAt && typeof v === 'number') max = max === undefined ? v : Math.max(max, v);
      });
    }
  }
  return max;
}
