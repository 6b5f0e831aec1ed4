// Parses the kernel's socket tables (/proc/net/tcp, tcp6, udp, udp6) into listening sockets.

export type Protocol = 'tcp' | 'udp';

export interface ListeningSocket {
  protocol: Protocol;
  /** Printable address: `0.0.0.0`, `127.0.0.1`, `::`, `::1`, `::ffff:127.0.0.1`. */
  address: string;
  port: number;
  /** Socket inode, to find the owning process through /proc/<pid>/fd. */
  inode: string;
}

const TCP_LISTEN = '0A';
/** `TCP_CLOSE`, which the kernel shows for an unconnected UDP socket: one that waits for datagrams. */
const UDP_UNCONNECTED = '07';

/**
 * The listening sockets of one table. TCP: state LISTEN. UDP has no listen state: a bound, unconnected
 * socket (state 07, no remote port) receives from anyone, as `ss -uln` shows. The kernel prints each
 * 32-bit word of an address in host byte order, hence `endianness`.
 */
export function parseProcNet(
  text: string,
  protocol: Protocol,
  endianness: 'LE' | 'BE' = 'LE',
): ListeningSocket[] {
  const sockets: ListeningSocket[] = [];
  for (const line of text.split('\n').slice(1)) {
    const fields = line.trim().split(/\s+/);
    const [, local, remote, state, , , , , , inode] = fields;
    if (local === undefined || remote === undefined || inode === undefined) continue;
    if (protocol === 'tcp' ? state !== TCP_LISTEN : state !== UDP_UNCONNECTED || !remote.endsWith(':0000')) {
      continue;
    }
    const [hexAddress, hexPort] = local.split(':');
    if (hexAddress === undefined || hexPort === undefined) continue;
    const address = decodeAddress(hexAddress, endianness);
    if (address === undefined) continue;
    sockets.push({ protocol, address, port: Number.parseInt(hexPort, 16), inode });
  }
  return sockets;
}

/** `0100007F` -> `127.0.0.1`; 32 hex digits -> a compressed IPv6 address. */
export function decodeAddress(hex: string, endianness: 'LE' | 'BE' = 'LE'): string | undefined {
  if (!/^(?:[0-9A-Fa-f]{8}|[0-9A-Fa-f]{32})$/.test(hex)) return undefined;
  const bytes: number[] = [];
  for (let word = 0; word < hex.length; word += 8) {
    const wordBytes = [0, 2, 4, 6].map((i) => Number.parseInt(hex.slice(word + i, word + i + 2), 16));
    bytes.push(...(endianness === 'LE' ? wordBytes.reverse() : wordBytes));
  }
  return bytes.length === 4 ? bytes.join('.') : formatIpv6(bytes);
}

function formatIpv6(bytes: readonly number[]): string {
  const isMapped = bytes.slice(0, 10).every((b) => b === 0) && bytes[10] === 0xff && bytes[11] === 0xff;
  if (isMapped) return `::ffff:${bytes.slice(12).join('.')}`;
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((bytes[i] ?? 0) << 8) | (bytes[i + 1] ?? 0));
  // The longest run of two or more zero groups becomes `::` (RFC 5952).
  let bestStart = -1;
  let bestLength = 1;
  for (let start = 0; start < 8; start++) {
    let length = 0;
    while (start + length < 8 && groups[start + length] === 0) length++;
    if (length > bestLength) {
      bestStart = start;
      bestLength = length;
    }
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart < 0) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLength).join(':')}`;
}

/** 127.0.0.0/8, ::1, and IPv4-mapped 127.x.x.x. */
export function isLoopback(address: string): boolean {
  return address === '::1' || /^(?:::ffff:)?127\./.test(address);
}

export function isWildcard(address: string): boolean {
  return address === '0.0.0.0' || address === '::';
}

/** `0.0.0.0:22/tcp`, `[::]:443/tcp`: how `ss` shows a socket. */
export function socketLabel(socket: Pick<ListeningSocket, 'protocol' | 'address' | 'port'>): string {
  const host = socket.address.includes(':') ? `[${socket.address}]` : socket.address;
  return `${host}:${socket.port}/${socket.protocol}`;
}
