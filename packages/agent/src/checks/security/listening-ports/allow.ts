// The `allow` list: which listening sockets are expected.
import { ALLOW_ENTRY } from './options.js';
import { isWildcard, type ListeningSocket, type Protocol } from './procnet.js';

export interface AllowEntry {
  /** undefined: any address; `*`: the wildcard address only (0.0.0.0 or ::); else one address. */
  address: string | undefined;
  port: number;
  protocol: Protocol;
}

export function parseAllowEntry(entry: string): AllowEntry {
  const m = ALLOW_ENTRY.exec(entry.trim());
  if (!m)
    throw new Error(`"${entry}" is not an allow entry (expected e.g. 22/tcp, *:80/tcp, 127.0.0.1:5432/tcp)`);
  const [, address, port, protocol] = m;
  return {
    address: address?.replace(/^\[(.*)\]$/, '$1').toLowerCase(),
    port: Number(port),
    protocol: protocol as Protocol,
  };
}

export function isAllowed(socket: ListeningSocket, entries: readonly AllowEntry[]): boolean {
  return entries.some((entry) => {
    if (entry.port !== socket.port || entry.protocol !== socket.protocol) return false;
    if (entry.address === undefined) return true;
    if (entry.address === '*') return isWildcard(socket.address);
    return entry.address === socket.address || `::ffff:${entry.address}` === socket.address;
  });
}
