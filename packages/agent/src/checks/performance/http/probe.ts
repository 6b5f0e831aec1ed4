// One HTTP(S) request through undici, timed, with the body read up to a limit and the server's certificate.
import { type DetailedPeerCertificate, TLSSocket } from 'node:tls';
import { Agent, buildConnector, request } from 'undici';

/** Enough of any health page to match it; a larger body is not read further. */
export const MAX_BODY_BYTES = 1024 * 1024;

export interface ProbeRequest {
  url: URL;
  method: 'GET' | 'HEAD' | 'POST' | 'PUT' | 'DELETE' | 'OPTIONS' | 'PATCH';
  /** CA certificates to trust instead of the system ones. */
  ca: Buffer | undefined;
  insecure: boolean;
  signal: AbortSignal;
}

export interface ProbeResponse {
  statusCode: number;
  /** From sending the request to the end of the body (or its first MiB). */
  latencyMs: number;
  /** The first MiB of the body at most. */
  body: Buffer;
  /** Undefined over plain HTTP. */
  certificate: DetailedPeerCertificate | undefined;
}

/**
 * The certificate is taken from the very TLS socket the request went through: the dispatcher's connector
 * keeps it as the connection opens. A second `tls.connect` could reach another server behind a balancer.
 * A fresh dispatcher per run means a fresh connection, so the handshake (and its certificate) always happens.
 */
export async function probe(req: ProbeRequest): Promise<ProbeResponse> {
  let certificate: DetailedPeerCertificate | undefined;
  const connector = buildConnector({ ca: req.ca, rejectUnauthorized: !req.insecure });
  const agent = new Agent({
    connect: (options, callback) =>
      connector(options, (...args) => {
        const socket = args[1];
        if (socket instanceof TLSSocket) certificate = socket.getPeerCertificate(true);
        callback(...args);
      }),
  });
  const started = performance.now();
  try {
    const response = await request(req.url, {
      method: req.method,
      dispatcher: agent,
      signal: req.signal,
      headers: { 'user-agent': 'vigie-agent' },
    });
    const body = await readAtMost(response.body, MAX_BODY_BYTES);
    return { statusCode: response.statusCode, latencyMs: performance.now() - started, body, certificate };
  } finally {
    await agent.destroy();
  }
}

async function readAtMost(stream: AsyncIterable<Buffer>, limit: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  // Leaving the loop early destroys the stream: the rest of a large body is never downloaded.
  for await (const chunk of stream) {
    chunks.push(chunk);
    size += chunk.length;
    if (size >= limit) break;
  }
  return Buffer.concat(chunks).subarray(0, limit);
}
