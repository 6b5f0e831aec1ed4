// Reads a finished plugin run as Nagios does: the exit code is the status, the first line the message.
import type { Category, Metrics, Status } from '@vigie/shared';
import type { CheckOutcome } from '../types.js';
import { perfdataMetrics } from './metrics.js';
import { parsePerfdata } from './perfdata.js';
import { shortLine } from './printable.js';

/**
 * Proposal: an outcome may carry its own category, for checks like this one whose results can be about
 * anything. Today the runner stamps `plugin.category`; it should use `outcome.category ?? plugin.category`.
 */
export interface NagiosOutcome extends CheckOutcome {
  category: Category;
}

/** How a plugin run ended, as told by the process module. */
export type PluginRun =
  | { kind: 'exited'; code: number; stdout: string; stderr: string; truncated: boolean }
  | { kind: 'killed'; signal: string; stdout: string; stderr: string; truncated: boolean }
  | { kind: 'failed'; reason: string }
  | { kind: 'aborted'; reason: string };

export const MAX_MESSAGE_LENGTH = 500;
const EXIT_STATUSES: readonly Status[] = ['ok', 'warning', 'critical', 'unknown'];

export interface PluginOutput {
  /** The first line, up to its first `|`. */
  summary: string;
  /** Everything after the first `|` of the first line, and of the long output (lines 2+) from its first `|`. */
  perfdata: string;
}

/**
 * Splits plugin output as Nagios 3+ does: after the first `|` in the long output, the rest of that line and
 * every following line are perfdata too.
 */
export function splitPluginOutput(stdout: string): PluginOutput {
  const [first = '', ...rest] = stdout.split('\n');
  const bar = first.indexOf('|');
  const summary = bar < 0 ? first : first.slice(0, bar);
  const perfdata = bar < 0 ? [] : [first.slice(bar + 1)];
  const longBar = rest.findIndex((line) => line.includes('|'));
  if (longBar >= 0) {
    const line = rest[longBar] ?? '';
    perfdata.push(line.slice(line.indexOf('|') + 1), ...rest.slice(longBar + 1));
  }
  return { summary, perfdata: perfdata.join('\n') };
}

export function outcomeFromRun(run: PluginRun, command: string, category: Category): NagiosOutcome {
  switch (run.kind) {
    case 'failed':
      return { status: 'unknown', metrics: {}, message: `cannot run ${command}: ${run.reason}`, category };
    case 'aborted':
      return { status: 'unknown', metrics: {}, message: `plugin did not finish: ${run.reason}`, category };
    case 'killed':
      return readOutput(run, 'unknown', `plugin killed by ${run.signal}`, {}, category);
    case 'exited': {
      const status = EXIT_STATUSES[run.code];
      const exitCode = { exit_code: run.code };
      if (status !== undefined) return readOutput(run, status, undefined, exitCode, category);
      return readOutput(run, 'unknown', `plugin exited with code ${run.code}`, exitCode, category);
    }
  }
}

interface Printed {
  stdout: string;
  stderr: string;
  truncated: boolean;
}

function readOutput(
  printed: Printed,
  status: Status,
  failure: string | undefined,
  metrics: Metrics,
  category: Category,
): NagiosOutcome {
  const { summary, perfdata } = splitPluginOutput(printed.stdout);
  const parsed = parsePerfdata(perfdata);
  const reserved = ['exit_code', 'perfdata_errors'];
  const { metrics: measured, dropped } = perfdataMetrics(parsed.items, reserved);
  const errors = parsed.problems.length + dropped;
  const notes: string[] = [];
  if (printed.truncated) notes.push('output truncated');
  if (parsed.problems.length > 0) {
    notes.push(`${parsed.problems.length} bad perfdata item(s), first: ${parsed.problems[0]}`);
  }
  if (dropped > 0) notes.push(`${dropped} perfdata item(s) over the metric limit left out`);
  const printedText = messageText(summary, printed);
  const text =
    failure === undefined ? printedText || '(no output)' : [failure, printedText].filter(Boolean).join(': ');
  const message = notes.length === 0 ? text : `${text} (${notes.join('; ')})`;
  return { status, metrics: { ...measured, ...metrics, perfdata_errors: errors }, message, category };
}

/** The status line; when stdout is empty, the first line of stderr, so that a crash is not silent. */
function messageText(summary: string, printed: Printed): string {
  const line = shortLine(summary, MAX_MESSAGE_LENGTH);
  if (line !== '') return line;
  if (printed.stdout.trim() !== '') return '(empty status line)';
  const errorLine = shortLine(
    printed.stderr.split('\n').find((l) => l.trim() !== '') ?? '',
    MAX_MESSAGE_LENGTH,
  );
  return errorLine === '' ? '' : `(no output) stderr: ${errorLine}`;
}
