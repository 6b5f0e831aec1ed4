// Test support: a real HTTP receiver on 127.0.0.1 that records each request and answers as the test says.
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
  /** What the receiver answered; undefined while it holds the request without answering. */
  status: number | undefined;
}

export type Answer = { status: number; body?: string; headers?: Record<string, string> } | 'hold';
/** `index` counts the requests received before this one. */
export type Respond = (req: ReceivedRequest, index: number) => Answer;

export class Receiver {
  readonly requests: ReceivedRequest[] = [];
  private readonly server: Server;
  private listening: AddressInfo | undefined;

  private constructor(respond: Respond) {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const received: ReceivedRequest = {
          method: req.method ?? '',
          path: req.url ?? '',
          headers: req.headers,
          body: Buffer.concat(chunks).toString('utf8'),
          status: undefined,
        };
        const answer = respond(received, this.requests.length);
        this.requests.push(received);
        if (answer === 'hold') return;
        received.status = answer.status;
        res.writeHead(answer.status, { 'content-type': 'application/json', ...answer.headers });
        res.end(answer.body ?? '{}');
      });
    });
  }

  /** Listens on `port` (default: a free one) and answers each request with `respond`. */
  static async start(respond: Respond, port = 0): Promise<Receiver> {
    const receiver = new Receiver(respond);
    await new Promise<void>((resolve, reject) => {
      receiver.server.once('error', reject);
      receiver.server.listen(port, '127.0.0.1', () => resolve());
    });
    receiver.listening = receiver.server.address() as AddressInfo;
    return receiver;
  }

  get port(): number {
    return this.listening?.port ?? 0;
  }

  url(path = '/hook'): string {
    return `http://127.0.0.1:${this.port}${path}`;
  }

  /** Requests carrying this X-Vigie-Event-Id that the receiver accepted (2xx). */
  accepted(eventId: string): ReceivedRequest[] {
    return this.requests.filter(
      (r) => r.headers['x-vigie-event-id'] === eventId && r.status !== undefined && r.status < 300,
    );
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve, reject) => this.server.close((err) => (err ? reject(err) : resolve())));
  }
}

/** A loopback port nothing listens on (for "the receiver is down"); a receiver may start on it later. */
export async function closedPort(): Promise<number> {
  const r = await Receiver.start(() => ({ status: 500 }));
  const port = r.port;
  await r.close();
  return port;
}
