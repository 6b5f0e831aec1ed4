// The `listening-ports` check: sockets listening on the network that the allow list does not expect.
import { readFile } from 'node:fs/promises';
import { endianness } from 'node:os';
import { describeError, hasErrorCode, unknownOutcome } from '../../failure.js';
import { type CheckOutcome, defineCheck } from '../../types.js';
import { type AllowEntry, isAllowed, parseAllowEntry } from './allow.js';
import { LISTENING_PORTS_DEFAULTS, ListeningPortsOptionsSchema } from './options.js';
import { socketOwners } from './owners.js';
import { isLoopback, type ListeningSocket, type Protocol, parseProcNet, socketLabel } from './procnet.js';

const TABLES: readonly { file: string; protocol: Protocol }[] = [
  { file: 'tcp', protocol: 'tcp' },
  { file: 'tcp6', protocol: 'tcp' },
  { file: 'udp', protocol: 'udp' },
  { file: 'udp6', protocol: 'udp' },
];
/** How many unexpected sockets the message names. */
const SHOWN = 5;

export const listeningPortsCheck = defineCheck({
  type: 'listening-ports',
  category: 'security',
  summary: 'Listening TCP/UDP sockets that are not in the allow list',
  options: ListeningPortsOptionsSchema,
  async run(options, ctx): Promise<CheckOutcome> {
    let sockets: ListeningSocket[];
    try {
      sockets = await readListeningSockets(ctx.signal);
    } catch (err) {
      return unknownOutcome(`cannot read the socket tables: ${describeError(err)}`);
    }
    const allow: AllowEntry[] = (options.allow ?? []).map(parseAllowEntry);
    const ignoreLoopback = options.ignoreLoopback ?? LISTENING_PORTS_DEFAULTS.ignoreLoopback;
    const reported = dedupe(sockets.filter((s) => !(ignoreLoopback && isLoopback(s.address))));
    const unexpected = reported.filter((s) => !isAllowed(s, allow));
    const metrics = { listening: reported.length, unexpected: unexpected.length };
    if (unexpected.length === 0) {
      return { status: 'ok', metrics, message: `${reported.length} listening socket(s), all allowed` };
    }
    const shown = unexpected.slice(0, SHOWN);
    // Naming the processes is a courtesy: the verdict stands without it, and says why names are missing.
    let owners = new Map<string, string>();
    let ownerNote = '';
    try {
      owners = await socketOwners(new Set(shown.map((s) => s.inode)), ctx.signal);
    } catch (err) {
      ownerNote = ` (processes not named: ${describeError(err)})`;
    }
    const names = shown.map((s) => `${socketLabel(s)} (${owners.get(s.inode) ?? '?'})`);
    const more = (unexpected.length > SHOWN ? `, +${unexpected.length - SHOWN} more` : '') + ownerNote;
    return {
      status: options.severity ?? LISTENING_PORTS_DEFAULTS.severity,
      metrics,
      message: `${unexpected.length} unexpected of ${reported.length} listening socket(s): ${names.join(', ')}${more}`,
    };
  },
});

export default listeningPortsCheck;

/** Every listening socket of the host's network namespace. A table missing (IPv6 disabled) is empty. */
export async function readListeningSockets(
  signal: AbortSignal,
  procNet = '/proc/net',
): Promise<ListeningSocket[]> {
  const order = endianness();
  const tables = await Promise.all(
    TABLES.map(async ({ file, protocol }) => {
      try {
        return parseProcNet(
          await readFile(`${procNet}/${file}`, { encoding: 'utf8', signal }),
          protocol,
          order,
        );
      } catch (err) {
        if (hasErrorCode(err, 'ENOENT')) return [];
        throw err;
      }
    }),
  );
  return tables.flat();
}

/** Several sockets on one address and port (SO_REUSEPORT workers) are one listener. */
function dedupe(sockets: readonly ListeningSocket[]): ListeningSocket[] {
  const seen = new Map<string, ListeningSocket>();
  for (const socket of sockets) if (!seen.has(socketLabel(socket))) seen.set(socketLabel(socket), socket);
  return [...seen.values()].sort((a, b) => a.port - b.port || socketLabel(a).localeCompare(socketLabel(b)));
}
