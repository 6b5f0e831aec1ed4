// Opens one TCP connection and times it; the connection is closed as soon as it is made.
import { connect } from 'node:net';

export type ConnectResult = { connected: true; ms: number } | { connected: false; error: Error };

/** Connects to host:port; gives up after `timeoutMs` (a timeout is an Error with code ETIMEDOUT). */
export function timeConnect(
  host: string,
  port: number,
  timeoutMs: number,
  signal: AbortSignal,
): Promise<ConnectResult> {
  return new Promise((resolve) => {
    const started = performance.now();
    const socket = connect({ host, port });
    const finish = (result: ConnectResult) => {
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
      socket.destroy();
      resolve(result);
    };
    const onAbort = () => finish({ connected: false, error: abortError(signal) });
    const timer = setTimeout(() => finish({ connected: false, error: timeoutError(timeoutMs) }), timeoutMs);
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
    socket.once('connect', () => finish({ connected: true, ms: performance.now() - started }));
    socket.once('error', (error) => finish({ connected: false, error }));
  });
}

function timeoutError(timeoutMs: number): Error {
  return Object.assign(new Error(`no answer within ${timeoutMs} ms`), { code: 'ETIMEDOUT' });
}

function abortError(signal: AbortSignal): Error {
  return signal.reason instanceof Error
    ? signal.reason
    : Object.assign(new Error('aborted'), { name: 'AbortError' });
}
