// A host's metrics as time-series charts (uPlot, loaded with the host view only): one chart per check metric
// with a line per instance, a Y axis in the metric's unit starting at zero, warning and critical lines from the
// rules that apply, one crosshair and one time range shared by every chart. Series that did not move in the
// period are folded into one summary row instead of taking a chart each.
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { type Child, h } from './dom';
import { shortTime, t, tv } from './i18n';
import type { Point, Threshold } from './types';
import { axisRange, type Unit, unitOf, withUnit } from './units';

export interface ChartGroup {
  key: string;
  check: string;
  measurement: string;
  field: string;
  unit: Unit;
  /** One series per instance ('' when the metric has none). */
  series: Map<string, Array<[number, number]>>;
}

/**
 * Extra lines drawn on a chart over its series (the lead wires a forecast this way): each gets its label and
 * its points in ms. Empty by default.
 */
export type Overlay = (
  group: ChartGroup,
) => Array<{ label: string; points: Array<[number, number]>; dash?: number[] }>;
export const overlays: Overlay[] = [];

const COLORS = ['#4c9be8', '#e8a33c', '#7cc576', '#c678dd', '#56b6c2', '#e06c75', '#d19a66', '#98c379'];
const SYNC_KEY = 'vigie-host';

/** Groups points by check metric; leaves out the collector's own bookkeeping series. */
export function groupSeries(points: readonly Point[]): ChartGroup[] {
  const groups = new Map<string, ChartGroup>();
  for (const p of points) {
    if (p.measurement === 'vigie_check' ? p.field !== 'duration_ms' : p.measurement.startsWith('vigie_'))
      continue;
    const key = `${p.check}|${p.measurement}|${p.field}`;
    let g = groups.get(key);
    if (!g) {
      g = {
        key,
        check: p.check,
        measurement: p.measurement,
        field: p.field,
        unit: unitOf(p.field),
        series: new Map(),
      };
      groups.set(key, g);
    }
    const list = g.series.get(p.instance ?? '') ?? [];
    list.push([p.time, p.value]);
    g.series.set(p.instance ?? '', list);
  }
  for (const g of groups.values()) for (const list of g.series.values()) list.sort((a, b) => a[0] - b[0]);
  return [...groups.values()].sort(
    (a, b) =>
      Number(a.field === 'duration_ms') - Number(b.field === 'duration_ms') || a.key.localeCompare(b.key),
  );
}

export function isConstant(g: ChartGroup): boolean {
  for (const list of g.series.values()) {
    const first = list[0]?.[1];
    if (list.some(([, v]) => v !== first)) return false;
  }
  return true;
}

export function chartName(g: ChartGroup): string {
  const m = g.measurement === 'vigie_check' ? t('checkDuration') : `${g.measurement}.${g.field}`;
  return `${g.check} · ${m}`;
}

function thresholdsFor(
  g: ChartGroup,
  thresholds: readonly Threshold[],
): Array<{ label: string; value: number; level: 'warning' | 'critical' }> {
  const seen = new Map<string, { label: string; value: number; level: 'warning' | 'critical' }>();
  for (const th of thresholds) {
    if (th.checkId !== g.check) continue;
    const [field] = th.metric.split('@');
    if (field !== g.field) continue;
    for (const level of ['warning', 'critical'] as const) {
      const value = th[level];
      if (value === null) continue;
      seen.set(`${level}${value}`, {
        label: `${t(level === 'warning' ? 'thresholdWarning' : 'thresholdCritical')} ${withUnit(value, g.unit)}`,
        value,
        level,
      });
    }
  }
  return [...seen.values()];
}

export interface ChartRange {
  fromMs: number;
  toMs: number;
  zone: string;
}

/** The charts of the groups that moved, and a summary row of those that did not. */
export function renderCharts(
  groups: ChartGroup[],
  thresholds: readonly Threshold[],
  range: ChartRange,
): Child[] {
  if (groups.length === 0) return [h('p', { class: 'muted' }, t('noMetric'))];
  const moving = groups.filter((g) => !isConstant(g));
  const still = groups.filter(isConstant);
  const out: Child[] = [];
  const grid = h('div', { class: 'charts', id: 'charts' });
  out.push(grid);
  // Built after the grid is in the page, so each chart knows its width.
  requestAnimationFrame(() => {
    for (const g of moving) grid.append(chartBox(g, thresholdsFor(g, thresholds), range, grid.clientWidth));
  });
  if (still.length > 0)
    out.push(
      h(
        'details',
        { class: 'constant-series', open: still.length <= 12 },
        h('summary', {}, t('constantSeries', { n: still.length })),
        h(
          'ul',
          { class: 'constant-list' },
          still.map((g) =>
            h(
              'li',
              {},
              h('span', { class: 'mono' }, chartName(g)),
              ' ',
              [...g.series.entries()].map(([instance, list]) =>
                h(
                  'span',
                  { class: 'const-value' },
                  instance ? `${instance} = ` : '= ',
                  withUnit(list[0]?.[1] ?? 0, g.unit),
                ),
              ),
            ),
          ),
        ),
      ),
    );
  return out;
}

function chartBox(
  g: ChartGroup,
  lines: Array<{ label: string; value: number; level: 'warning' | 'critical' }>,
  range: ChartRange,
  gridWidth: number,
): HTMLElement {
  const extra = overlays.flatMap((o) => o(g));
  const instances = [...g.series.keys()].sort();
  const times = new Set<number>();
  for (const list of g.series.values()) for (const [time] of list) times.add(time);
  for (const o of extra) for (const [time] of o.points) times.add(time);
  const xs = [...times].sort((a, b) => a - b);
  const index = new Map(xs.map((x, i) => [x, i]));
  const column = (list: Array<[number, number]>) => {
    const ys: Array<number | null> = xs.map(() => null);
    for (const [time, v] of list) ys[index.get(time) as number] = v;
    return ys;
  };
  const values = [...g.series.values()].flatMap((list) => list.map(([, v]) => v));
  const [lo, hi] = axisRange(
    g.unit,
    Math.min(...values),
    Math.max(...values),
    lines.map((l) => l.value),
  );
  const data: uPlot.AlignedData = [
    xs.map((x) => x / 1000),
    ...instances.map((i) => column(g.series.get(i) ?? [])),
    ...lines.map((l) => xs.map(() => l.value)),
    ...extra.map((o) => column(o.points)),
  ];
  const fmt = (_u: uPlot, v: number | null) => (v === null || v === undefined ? '—' : withUnit(v, g.unit));
  const series: uPlot.Series[] = [
    { label: t('time'), value: (_u, v) => (v === null ? '—' : shortTime(v * 1000, range.zone, true)) },
    ...instances.map((i, n) => ({
      label: i || g.field,
      stroke: COLORS[n % COLORS.length],
      width: 1.5,
      spanGaps: true,
      value: fmt,
    })),
    ...lines.map((l) => ({
      label: l.label,
      stroke: l.level === 'critical' ? '#e5534b' : '#d4a72c',
      dash: [6, 4],
      width: 1,
      points: { show: false },
      value: fmt,
    })),
    ...extra.map((o) => ({
      label: o.label,
      stroke: '#9aa4b2',
      dash: o.dash ?? [2, 3],
      width: 1.5,
      spanGaps: true,
      value: fmt,
    })),
  ];
  const width = Math.max(280, Math.floor(gridWidth >= 900 ? (gridWidth - 16) / 2 : gridWidth) - 2);
  const multiDay = range.toMs - range.fromMs > 36 * 3_600_000;
  const opts: uPlot.Options = {
    width,
    height: 170,
    tzDate: (ts) => uPlot.tzDate(new Date(ts * 1000), range.zone),
    cursor: { sync: { key: SYNC_KEY, setSeries: false }, drag: { x: false, y: false } },
    scales: { x: { time: true, range: [range.fromMs / 1000, range.toMs / 1000] }, y: { range: [lo, hi] } },
    axes: [
      {
        stroke: '#9aa4b2',
        grid: { stroke: '#2a3340' },
        values: (_u, splits) => splits.map((s) => shortTime(s * 1000, range.zone, multiDay)),
      },
      {
        stroke: '#9aa4b2',
        grid: { stroke: '#2a3340' },
        size: 70,
        values: (_u, splits) => splits.map((s) => withUnit(s, g.unit)),
      },
    ],
    series,
    legend: { live: true },
  };
  const plot = h('div', { class: 'plot' });
  const last = (g.series.get(instances[0] ?? '') ?? []).at(-1)?.[1];
  const figure = h(
    'figure',
    { class: 'chart-box', dataset: { chart: g.key, unit: g.unit } },
    h(
      'figcaption',
      {},
      h('span', { class: 'chart-name' }, chartName(g)),
      h('span', { class: 'chart-unit' }, `(${tv('unit', g.unit)})`),
      h('span', { class: 'chart-last' }, last === undefined ? '' : withUnit(last, g.unit)),
    ),
    plot,
  );
  figure.setAttribute(
    'aria-label',
    `${chartName(g)}: ${t('axisFromTo', { from: withUnit(lo, g.unit), to: withUnit(hi, g.unit) })}${lines.length ? `, ${lines.map((l) => l.label).join(', ')}` : ''}`,
  );
  const chart = new uPlot(opts, data, plot);
  // The host view scrolls inside its dialog: measure the plot again before the pointer is read over it.
  plot.addEventListener('mouseenter', () => chart.syncRect(), { capture: true });
  return figure;
}
