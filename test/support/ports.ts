import { createServer } from 'node:net';

// Ports handed out by this process: the kernel may give a just-closed port again before the server we
// started for it has bound it, so never hand the same one out twice.
const handedOut = new Set<number>();

function probePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen({ host: '127.0.0.1', port: 0, exclusive: true }, () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close((error) => {
        if (error) reject(error);
        else if (port === 0) reject(new Error('could not read the port of a loopback listener'));
        else resolve(port);
      });
    });
  });
}

/** A TCP port on 127.0.0.1 that was free a moment ago (listen on port 0, read it, close). */
export async function freePort(): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = await probePort();
    if (!handedOut.has(port)) {
      handedOut.add(port);
      return port;
    }
  }
  throw new Error('freePort: the kernel kept returning ports already handed out');
}
