// Reads one small entry out of a jar (a zip file) without unpacking it: enough to find a Tomcat version.
import { open } from 'node:fs/promises';
import { inflateRawSync } from 'node:zlib';

const END_OF_DIRECTORY = 0x06054b50;
const DIRECTORY_ENTRY = 0x02014b50;
const LOCAL_HEADER = 0x04034b50;
const END_RECORD_SIZE = 22;
const MAX_COMMENT = 0xffff;
/** An entry we read is a properties file or a manifest: anything larger is not what we are looking for. */
const MAX_ENTRY_BYTES = 1024 * 1024;
const MAX_DIRECTORY_BYTES = 16 * 1024 * 1024;

/** The entry's bytes, or undefined when the jar has no such entry. Throws when the file is not a zip. */
export async function readJarEntry(path: string, entryName: string): Promise<Buffer | undefined> {
  const handle = await open(path, 'r');
  try {
    const { size } = await handle.stat();
    const read = async (position: number, length: number): Promise<Buffer> => {
      const buffer = Buffer.alloc(length);
      const { bytesRead } = await handle.read(buffer, 0, length, position);
      if (bytesRead !== length) throw new Error(`${path}: truncated zip`);
      return buffer;
    };
    const tailLength = Math.min(size, END_RECORD_SIZE + MAX_COMMENT);
    const tail = await read(size - tailLength, tailLength);
    const end = lastIndexOfSignature(tail, END_OF_DIRECTORY);
    if (end < 0) throw new Error(`${path}: not a zip file (no end of central directory)`);
    const directorySize = tail.readUInt32LE(end + 12);
    const directoryOffset = tail.readUInt32LE(end + 16);
    if (directorySize > MAX_DIRECTORY_BYTES || directoryOffset + directorySize > size) {
      throw new Error(`${path}: unsupported zip (zip64 or damaged central directory)`);
    }
    const directory = await read(directoryOffset, directorySize);
    const entry = findEntry(directory, entryName);
    if (entry === undefined) return undefined;
    if (entry.compressedSize > MAX_ENTRY_BYTES || entry.size > MAX_ENTRY_BYTES) {
      throw new Error(`${path}: ${entryName} is larger than ${MAX_ENTRY_BYTES} bytes`);
    }
    const local = await read(entry.localOffset, 30);
    if (local.readUInt32LE(0) !== LOCAL_HEADER) throw new Error(`${path}: damaged local header`);
    const dataStart = entry.localOffset + 30 + local.readUInt16LE(26) + local.readUInt16LE(28);
    const data = await read(dataStart, entry.compressedSize);
    if (entry.method === 0) return data;
    if (entry.method === 8) return inflateRawSync(data, { maxOutputLength: MAX_ENTRY_BYTES });
    throw new Error(`${path}: ${entryName} uses compression method ${entry.method}`);
  } finally {
    await handle.close();
  }
}

interface DirectoryEntry {
  method: number;
  compressedSize: number;
  size: number;
  localOffset: number;
}

function findEntry(directory: Buffer, entryName: string): DirectoryEntry | undefined {
  let offset = 0;
  while (offset + 46 <= directory.length && directory.readUInt32LE(offset) === DIRECTORY_ENTRY) {
    const nameLength = directory.readUInt16LE(offset + 28);
    const extraLength = directory.readUInt16LE(offset + 30);
    const commentLength = directory.readUInt16LE(offset + 32);
    const name = directory.toString('utf8', offset + 46, offset + 46 + nameLength);
    if (name === entryName) {
      return {
        method: directory.readUInt16LE(offset + 10),
        compressedSize: directory.readUInt32LE(offset + 20),
        size: directory.readUInt32LE(offset + 24),
        localOffset: directory.readUInt32LE(offset + 42),
      };
    }
    offset += 46 + nameLength + extraLength + commentLength;
  }
  return undefined;
}

function lastIndexOfSignature(buffer: Buffer, signature: number): number {
  for (let i = buffer.length - END_RECORD_SIZE; i >= 0; i--) {
    if (buffer.readUInt32LE(i) === signature) return i;
  }
  return -1;
}

/** A jar manifest's main attributes; long values wrap onto lines that start with one space. */
export function parseManifest(text: string): Map<string, string> {
  const attributes = new Map<string, string>();
  let last: string | undefined;
  for (const line of text.split(/\r?\n/)) {
    if (line === '') break; // the main section ends at the first blank line
    if (line.startsWith(' ') && last !== undefined) {
      attributes.set(last, `${attributes.get(last) ?? ''}${line.slice(1)}`);
      continue;
    }
    const colon = line.indexOf(': ');
    if (colon < 0) continue;
    last = line.slice(0, colon);
    attributes.set(last, line.slice(colon + 2));
  }
  return attributes;
}
