// Follows a log file between runs: remembers its inode and how far it was read, and notices rotation.
import { open, stat } from 'node:fs/promises';
import { hasErrorCode } from '../../failure.js';

export interface FilePosition {
  dev: number;
  inode: number;
  /** Bytes read so far: always just after a newline, so a line being written is read whole next time. */
  offset: number;
}

/** More than this appended between two runs is a flood: only its end is read. */
export const MAX_READ_BYTES = 32 * 1024 * 1024;

export interface NewText {
  text: string;
  position: FilePosition;
  /** The file was replaced (inode changed) or truncated since the previous run. */
  rotated: boolean;
  /** Bytes skipped because more than MAX_READ_BYTES was appended. */
  skipped: number;
}

/**
 * The complete lines appended to `path` since `previous`. After a rotation (another inode, or a file
 * shorter than what was read) the new file is read from its start, and the rest of the old one from
 * `<path>.1` when logrotate left it there uncompressed (Debian's `delaycompress`).
 */
export async function readAppended(
  path: string,
  previous: FilePosition,
  signal: AbortSignal,
): Promise<NewText> {
  const info = await stat(path);
  const sameFile = info.ino === previous.inode && info.dev === previous.dev;
  const rotated = !sameFile || info.size < previous.offset;
  let prefix = '';
  let skipped = 0;
  if (!sameFile) {
    const rest = await readOldRest(`${path}.1`, previous, signal);
    prefix = rest.text;
    skipped += rest.skipped;
  }
  const start = rotated ? 0 : previous.offset;
  const chunk = await readRange(path, start, info.size, signal);
  return {
    text: prefix + chunk.text,
    position: { dev: info.dev, inode: info.ino, offset: chunk.end },
    rotated,
    skipped: skipped + chunk.skipped,
  };
}

/** Where a first run starts: at the end (a baseline), or at the start to count what is there. */
export async function startPosition(path: string, fromStart: boolean): Promise<FilePosition> {
  const info = await stat(path);
  return { dev: info.dev, inode: info.ino, offset: fromStart ? 0 : info.size };
}

async function readOldRest(path: string, previous: FilePosition, signal: AbortSignal) {
  try {
    const old = await stat(path);
    if (old.ino !== previous.inode || old.dev !== previous.dev) return { text: '', skipped: 0 };
    const chunk = await readRange(path, previous.offset, old.size, signal);
    return { text: chunk.text, skipped: chunk.skipped };
  } catch (err) {
    if (hasErrorCode(err, 'ENOENT')) return { text: '', skipped: 0 }; // rotated and compressed, or removed
    throw err;
  }
}

/** Complete lines between `start` and `size`; `end` is just after the last newline read. */
async function readRange(path: string, start: number, size: number, signal: AbortSignal) {
  if (size <= start) return { text: '', end: start, skipped: 0 };
  const skipped = Math.max(0, size - start - MAX_READ_BYTES);
  const from = start + skipped;
  const buffer = Buffer.alloc(size - from);
  const handle = await open(path, 'r');
  try {
    let read = 0;
    while (read < buffer.length) {
      signal.throwIfAborted();
      const { bytesRead } = await handle.read(buffer, read, buffer.length - read, from + read);
      if (bytesRead === 0) break;
      read += bytesRead;
    }
    const lastNewline = buffer.subarray(0, read).lastIndexOf(0x0a);
    if (lastNewline < 0) return { text: '', end: from, skipped };
    return {
      text: buffer.subarray(0, lastNewline + 1).toString('utf8'),
      end: from + lastNewline + 1,
      skipped,
    };
  } finally {
    await handle.close();
  }
}
