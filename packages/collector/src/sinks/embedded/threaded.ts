// The embedded store seen from the collector's main thread: every call is a message to the store's own thread
// (worker.ts), answered once done. A thread that dies (a crash in SQLite, out of memory) fails the calls it
// held (the ingest does not ack those batches: their agents send them again) and the next call starts a new one.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type {
  MetricPoint,
  MetricsSink,
  ResultRecord,
  SeriesPoint,
  SeriesQuery,
  WriteReport,
} from '../types.js';
import type { EmbeddedReply, EmbeddedRequest, EmbeddedWorkerData, RecordTuple } from './protocol.js';
import type { EmbeddedConfig } from './sink.js';

type Request = EmbeddedRequest extends infer R ? (R extends unknown ? Omit<R, 'id' | 'now'> : never) : never;

interface Pending {
  resolve(reply: EmbeddedReply & { ok: true }): void;
  reject(err: Error): void;
}

/**
 * The worker's compiled file. Run from the compiled collector, it sits beside this one; tests run this file from
 * its TypeScript source, whose worker is the compiled one (`npm run build` makes it; `npm test` builds first).
 */
export function embeddedWorkerPath(): string {
  const beside = fileURLToPath(new URL('./worker.js', import.meta.url));
  if (existsSync(beside)) return beside;
  const built = fileURLToPath(new URL('../../../dist/sinks/embedded/worker.js', import.meta.url));
  if (existsSync(built)) return built;
  throw new Error(
    `the embedded store's worker is not built (looked for ${beside} and ${built}): run npm run build`,
  );
}

export class ThreadedEmbeddedSink implements MetricsSink {
  readonly name = 'embedded';
  private worker: Worker | undefined;
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private closed = false;
  private readonly now: () => number;
  private readonly data: EmbeddedWorkerData;

  constructor(config: EmbeddedConfig) {
    this.now = config.now ?? Date.now;
    this.data = { path: config.path, retentionMs: config.retentionMs, maxPoints: config.maxPoints };
    this.start();
  }

  private start(): Worker {
    const worker = new Worker(embeddedWorkerPath(), { workerData: this.data });
    worker.on('message', (reply: EmbeddedReply) => {
      const p = this.pending.get(reply.id);
      if (!p) return;
      this.pending.delete(reply.id);
      if (reply.ok) p.resolve(reply);
      else p.reject(new Error(`embedded metrics store: ${reply.error}`));
    });
    const fail = (err: Error) => {
      if (this.worker !== worker) return;
      this.worker = undefined;
      for (const [, p] of this.pending) p.reject(err);
      this.pending.clear();
    };
    worker.on('error', (err) => fail(new Error(`embedded metrics store thread failed: ${err.message}`)));
    worker.on('exit', (code) => fail(new Error(`embedded metrics store thread exited (code ${code})`)));
    this.worker = worker;
    return worker;
  }

  private call(req: Request): Promise<EmbeddedReply & { ok: true }> {
    if (this.closed) return Promise.reject(new Error('embedded metrics store is closed'));
    const worker = this.worker ?? this.start();
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      worker.postMessage({ ...req, id, now: this.now() } as EmbeddedRequest);
    });
  }

  async write(points: MetricPoint[]): Promise<WriteReport> {
    if (points.length === 0) return { refused: [] };
    return (await this.call({ op: 'write', points })).report ?? { refused: [] };
  }

  async writeResults(records: readonly ResultRecord[]): Promise<WriteReport> {
    if (records.length === 0) return { refused: [] };
    const tuples: RecordTuple[] = records.map(({ who, result: r, status, time }) => [
      who.tenant,
      who.application,
      who.environment,
      who.host,
      r.checkId,
      r.category,
      r.type,
      r.status,
      status,
      r.durationMs,
      time,
      r.metrics,
    ]);
    return (
      (await this.call({ op: 'write-results', records: JSON.stringify(tuples) })).report ?? { refused: [] }
    );
  }

  async query(query: SeriesQuery): Promise<SeriesPoint[]> {
    return (await this.call({ op: 'query', query })).points ?? [];
  }

  async close(): Promise<void> {
    if (this.closed) return;
    const worker = this.worker;
    if (worker) {
      try {
        await this.call({ op: 'close' });
      } catch {
        // the thread is gone already: nothing left to close
      }
      await worker.terminate();
    }
    this.closed = true;
    this.worker = undefined;
  }
}
