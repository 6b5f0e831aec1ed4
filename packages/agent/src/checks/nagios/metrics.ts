// Turns perfdata items into Vigie metric names: `label`, `label.warn`..., or `value@/mount` for path labels.
import type { Metrics } from '@vigie/shared';
import type { PerfdataItem } from './perfdata.js';
import { replaceControls } from './printable.js';

/** The Result allows 1000 metrics; the check adds `exit_code` and `perfdata_errors`. */
export const MAX_PERFDATA_METRICS = 990;
const MAX_FIELD_LENGTH = 80;
const MAX_INSTANCE_LENGTH = 100;
const LIMITS = ['warn', 'crit', 'min', 'max'] as const;

export interface PerfdataMetrics {
  metrics: Metrics;
  /** Items left out because the metric limit was reached. */
  dropped: number;
}

/**
 * Metrics for `items`, in order. Names in `reserved` are never used; a label whose name is taken (two labels
 * that sanitise alike, a label `exit_code`) gets `_2`, `_3`... on its field.
 */
export function perfdataMetrics(items: readonly PerfdataItem[], reserved: Iterable<string>): PerfdataMetrics {
  const metrics: Metrics = {};
  // `metrics.__proto__ = 1` would set nothing, and InfluxDB refuses a field named `time` (check_http and
  // check_tcp print `time=`): neither name is ever handed out, the label gets `_2` like any taken name.
  const taken = new Set([...reserved, '__proto__', 'time']);
  let dropped = 0;
  let count = 0;
  for (const item of items) {
    const entries = [['', item.value] as const, ...LIMITS.flatMap((key) => limitEntry(item, key))];
    if (count + entries.length > MAX_PERFDATA_METRICS) {
      dropped += 1;
      continue;
    }
    const { field, instance } = metricBase(item.label);
    const free = freeField(
      field,
      instance,
      entries.map(([suffix]) => suffix),
      taken,
    );
    for (const [suffix, value] of entries) {
      const name = nameOf(free + suffix, instance);
      taken.add(name);
      metrics[name] = value;
    }
    count += entries.length;
  }
  return { metrics, dropped };
}

function limitEntry(item: PerfdataItem, key: (typeof LIMITS)[number]): (readonly [string, number])[] {
  const limit = item[key];
  return limit === undefined ? [] : [[`.${key}`, limit]];
}

/**
 * A label that is a path (check_disk labels each mount by its mount point) is the instance of a `value`
 * field; any other label is the field itself, every character outside `[A-Za-z0-9_.]` becoming `_`.
 */
export function metricBase(label: string): { field: string; instance: string | undefined } {
  if (label.startsWith('/')) {
    // A backslash could not be stored exactly as a tag (InfluxDB and VictoriaMetrics read it differently).
    const instance = replaceControls(label, '_').replace(/\\/g, '_');
    // Cut by characters, not UTF-16 units: half a surrogate pair is not text.
    return { field: 'value', instance: Array.from(instance).slice(0, MAX_INSTANCE_LENGTH).join('') };
  }
  const field = label.replace(/[^A-Za-z0-9_.]/g, '_').slice(0, MAX_FIELD_LENGTH);
  return { field: /^[A-Za-z_]/.test(field) ? field : `_${field}`, instance: undefined };
}

function freeField(
  field: string,
  instance: string | undefined,
  suffixes: string[],
  taken: Set<string>,
): string {
  const isFree = (candidate: string) =>
    suffixes.every((suffix) => !taken.has(nameOf(candidate + suffix, instance)));
  if (isFree(field)) return field;
  for (let n = 2; ; n += 1) {
    if (isFree(`${field}_${n}`)) return `${field}_${n}`;
  }
}

function nameOf(field: string, instance: string | undefined): string {
  return instance === undefined ? field : `${field}@${instance}`;
}
