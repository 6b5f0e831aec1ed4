// The embedded store's own thread: it owns the SQLite file and does every write and read of the sink, so that
// packing and writing a group's metrics (a quarter of the ingest's CPU when it ran on the main thread) runs on
// another core while the main thread decodes, evaluates and serves the API. Requests are handled one at a
// time, in order; each reply goes back once its transaction has committed.
import { parentPort, workerData } from 'node:worker_threads';
import type { Status } from '@vigie/shared';
import type { ResultRecord } from '../types.js';
import type { EmbeddedReply, EmbeddedRequest, EmbeddedWorkerData, RecordTuple } from './protocol.js';
import { EmbeddedSink } from './sink.js';

const port = parentPort;
if (!port) throw new Error('the embedded store worker must run as a worker thread');

let now = Date.now();
const sink = new EmbeddedSink({ ...(workerData as EmbeddedWorkerData), now: () => now });

export function fromTuples(json: string): ResultRecord[] {
  return (JSON.parse(json) as RecordTuple[]).map((t) => ({
    who: { tenant: t[0], application: t[1], environment: t[2], host: t[3] },
    result: {
      checkId: t[4],
      category: t[5] as ResultRecord['result']['category'],
      type: t[6],
      status: t[7] as Status,
      durationMs: t[9],
      metrics: t[11],
    },
    status: t[8] as Status,
    time: t[10],
  }));
}

async function handle(req: EmbeddedRequest): Promise<EmbeddedReply> {
  now = req.now;
  switch (req.op) {
    case 'write':
      return { id: req.id, ok: true, report: await sink.write(req.points) };
    case 'write-results':
      return { id: req.id, ok: true, report: await sink.writeResults(fromTuples(req.records)) };
    case 'query':
      return { id: req.id, ok: true, points: await sink.query(req.query) };
    case 'close':
      await sink.close();
      return { id: req.id, ok: true };
  }
}

port.on('message', (req: EmbeddedRequest) => {
  handle(req).then(
    (reply) => {
      port.postMessage(reply);
      if (req.op === 'close') port.close();
    },
    (err: Error) => port.postMessage({ id: req.id, ok: false, error: err.message } satisfies EmbeddedReply),
  );
});
