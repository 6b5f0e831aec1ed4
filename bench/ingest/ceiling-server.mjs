// The ceiling for the ingest benchmark: a bare `ws` server that speaks just enough of the protocol for the
// simulated agents (welcome after hello, ack after each results batch) and does nothing else with a batch than
// JSON.parse it. No authentication, validation, storage or tickets: what the collector can at best reach on
// this machine with this WebSocket library and these load generators.
//
//   node bench/ingest/ceiling-server.mjs PORT
import { WebSocketServer } from 'ws';

const port = Number(process.argv[2]);
if (!Number.isInteger(port) || port <= 0) {
  process.stderr.write('usage: node bench/ingest/ceiling-server.mjs PORT\n');
  process.exit(2);
}

// Same frame limit and no compression, like the collector's gateway.
const wss = new WebSocketServer({
  host: '127.0.0.1',
  port,
  perMessageDeflate: false,
  maxPayload: 1024 * 1024,
});
let sessions = 0;

wss.on('connection', (ws) => {
  ws.on('message', (data) => {
    const msg = JSON.parse(data.toString());
    if (msg.type === 'results') {
      ws.send(
        JSON.stringify({
          v: 1,
          type: 'ack',
          batchId: msg.batchId,
          accepted: msg.results.length,
          duplicates: 0,
        }),
      );
    } else if (msg.type === 'hello') {
      sessions++;
      ws.send(
        JSON.stringify({
          v: 1,
          type: 'welcome',
          sessionId: `s${sessions}`,
          tenant: 'bench',
          limits: { maxBatch: 1000, maxFrameBytes: 1024 * 1024 },
          heartbeatMs: 600_000,
        }),
      );
    }
  });
  ws.on('error', () => undefined);
});
wss.on('listening', () => process.stdout.write(`ceiling server listening on 127.0.0.1:${port}\n`));

const stop = () => {
  for (const ws of wss.clients) ws.terminate();
  wss.close(() => process.exit(0));
  setTimeout(() => process.exit(0), 2000).unref();
};
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
