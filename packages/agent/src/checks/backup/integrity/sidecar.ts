// Reads `sha256sum` output (the `<file>.sha256` sidecar of a backup): GNU lines `<hex>  <name>` or
// `<hex> *<name>`, BSD lines `SHA256 (<name>) = <hex>`, with sha256sum's escaping of odd file names.
import { basename } from 'node:path';

export interface ChecksumEntry {
  /** Lowercase hex SHA-256. */
  sha256: string;
  name: string;
}

const GNU_LINE = /^(\\?)([0-9A-Fa-f]{64}) [ *](.+)$/;
const BSD_LINE = /^(\\?)SHA256 \((.+)\) = ([0-9A-Fa-f]{64})$/;

/** Every SHA-256 line of a checksum file; lines that are not one (comments, other digests) are skipped. */
export function parseChecksumFile(text: string): ChecksumEntry[] {
  const entries: ChecksumEntry[] = [];
  for (const line of text.split('\n')) {
    const trimmed = line.replace(/\r$/, '');
    const gnu = GNU_LINE.exec(trimmed);
    const bsd = gnu ? null : BSD_LINE.exec(trimmed);
    const escaped = (gnu ?? bsd)?.[1] === '\\';
    const hex = gnu?.[2] ?? bsd?.[3];
    const name = gnu?.[3] ?? bsd?.[2];
    if (hex === undefined || name === undefined) continue;
    entries.push({ sha256: hex.toLowerCase(), name: escaped ? unescapeName(name) : name });
  }
  return entries;
}

/** sha256sum writes `\\` for a backslash, `\n` for a newline and `\r` for a carriage return. */
export function unescapeName(name: string): string {
  return name.replace(/\\(.)/g, (whole, char: string) => {
    if (char === '\\') return '\\';
    if (char === 'n') return '\n';
    if (char === 'r') return '\r';
    return whole;
  });
}

/**
 * The expected SHA-256 of `file`: the entry whose name has the same base name (sidecars are often made
 * from another folder, or with an absolute path), or the only entry when there is just one.
 */
export function expectedChecksum(entries: readonly ChecksumEntry[], file: string): string | undefined {
  const name = basename(file);
  const named = entries.find((entry) => basename(entry.name) === name);
  if (named !== undefined) return named.sha256;
  return entries.length === 1 ? entries[0]?.sha256 : undefined;
}
