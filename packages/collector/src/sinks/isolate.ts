// Writing lines to a store that refuses bad data with a 4xx: a refused request is split in halves until each bad
// line is alone, so that every other line is written and only the bad ones are refused, with the store's reason.
// Any other failure (5xx, timeout, connection, a credential or database problem) is thrown: the whole write is
// to be retried later, and lines already written are written again harmlessly (same series and time replace).
import { encodePoints } from './line-protocol.js';
import type { MetricPoint, WriteReport } from './types.js';

/** What one request to the store answered. */
export type PostOutcome = { ok: true } | { ok: false; status: number; reason: string };

/** The store is unavailable or misconfigured: nothing says the data is bad, so the write is retried. */
export class SinkUnavailableError extends Error {
  constructor(
    message: string,
    readonly status?: number,
  ) {
    super(message);
    this.name = 'SinkUnavailableError';
  }
}

/**
 * HTTP statuses that mean "this data is bad": 400 (unparsable, field type conflict, partial write), 413 (too
 * large) and 422 (unprocessable, e.g. outside the retention). 401, 403, 404 (database not found) and 429 are
 * about the store, not the data, and are retried like a 5xx.
 */
export function refusesData(status: number): boolean {
  return status === 400 || status === 413 || status === 422;
}

/** The outcome of a store's HTTP answer; the reason is InfluxDB's `{"error": ...}` when it sent one. */
export function storeAnswer(status: number, body: string): PostOutcome {
  if (status >= 200 && status < 300) return { ok: true };
  let reason = body.trim();
  try {
    const parsed = JSON.parse(body) as { error?: unknown; message?: unknown };
    const text = parsed.error ?? parsed.message;
    if (typeof text === 'string') reason = text;
  } catch {
    // Not JSON (a proxy's HTML page, VictoriaMetrics' plain text): the body is the reason as it is.
  }
  return { ok: false, status, reason: reason.slice(0, 500) };
}

export function unreachable(where: string, err: Error): SinkUnavailableError {
  return new SinkUnavailableError(`${where} unreachable: ${err.message}`);
}

/** Lines per request: large writes (many batches grouped) are cut before they reach the store. */
export const MAX_LINES_PER_REQUEST = 5000;

export interface Isolation {
  /** Indexes into `lines` of the refused lines, with the store's reason. */
  refused: Array<{ index: number; reason: string }>;
  requests: number;
}

/**
 * Writes `lines` in requests of at most `maxLines`; a request refused as bad data is split until the bad lines
 * are alone. `post` resolves with the store's answer and throws for a failure worth retrying, which ends the
 * write (as does an answer that is neither success nor bad data).
 */
export async function writeIsolating(
  lines: readonly string[],
  where: string,
  post: (body: string) => Promise<PostOutcome>,
  maxLines = MAX_LINES_PER_REQUEST,
): Promise<Isolation> {
  const out: Isolation = { refused: [], requests: 0 };
  const write = async (from: number, to: number): Promise<void> => {
    out.requests++;
    const answer = await post(lines.slice(from, to).join('\n'));
    if (answer.ok) return;
    if (!refusesData(answer.status)) {
      throw new SinkUnavailableError(
        `${where} did not take the write: HTTP ${answer.status} ${answer.reason}`,
        answer.status,
      );
    }
    if (to - from === 1) {
      out.refused.push({
        index: from,
        reason: `${where} refused it: HTTP ${answer.status} ${answer.reason}`,
      });
      return;
    }
    const middle = from + Math.ceil((to - from) / 2);
    await write(from, middle);
    await write(middle, to);
  };
  for (let from = 0; from < lines.length; from += maxLines) {
    await write(from, Math.min(lines.length, from + maxLines));
  }
  return out;
}

/** Encodes the points and writes them isolating bad lines: what the encoder or the store refused is reported. */
export async function writePoints(
  points: readonly MetricPoint[],
  where: string,
  post: (body: string) => Promise<PostOutcome>,
): Promise<WriteReport> {
  const encoded = encodePoints(points);
  const isolation = await writeIsolating(encoded.lines, where, post);
  return {
    refused: [
      ...encoded.refused,
      ...isolation.refused.map((r) => ({ point: encoded.points[r.index] as MetricPoint, reason: r.reason })),
    ],
  };
}
