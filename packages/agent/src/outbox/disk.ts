// A durable outbox: every entry is appended to a segment file before it is sent, and forgotten only after the
// collector's ack (the acked position is kept in a cursor file). It survives the collector being down and the
// agent being killed; on restart the unacked entries come back in order. It is bounded by bytes and by age:
// past a bound the oldest entries are dropped, counted, and reported to the collector as an `outbox.dropped`
// event, never lost silently.
import { randomUUID } from 'node:crypto';
import {
  closeSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import type { NewOutboxEntry, Outbox, OutboxEntry } from './outbox.js';

export interface DiskOutboxOptions {
  dir: string;
  maxBytes: number;
  maxAgeMs: number;
  /** fsync after each append: survives power loss too, at a cost per result. */
  fsync?: boolean;
  segmentBytes?: number;
  now?: () => number;
  newId: () => string;
  /** Told about torn lines found at start (a crash mid-write) and other recoverable oddities. */
  warn?: (message: string) => void;
}

interface Stored {
  entry: OutboxEntry;
  bytes: number;
  at: number;
}

interface Segment {
  name: string;
  lastSeq: number;
}

interface Cursor {
  ackedSeq: number;
  dropped: number;
}

const CURSOR = 'cursor.json';
/** Written once when the outbox is created, never rewritten: the epoch must survive a damaged cursor. */
const STREAM = 'stream.json';
/** Held while a process uses the outbox: two agents on one folder would send each entry twice. */
const LOCK = 'lock';

/** Another live process holds the outbox folder. */
export class OutboxLockedError extends Error {}

export class DiskOutbox implements Outbox {
  private readonly entries: Stored[] = [];
  private head = 0;
  private bytes = 0;
  private nextSeq = 1;
  private cursor: Cursor = { ackedSeq: 0, dropped: 0 };
  private readonly segments: Segment[] = [];
  private fd: number | undefined;
  private segmentSize = 0;
  private readonly listeners: Array<() => void> = [];
  private readonly now: () => number;
  readonly epoch: string;

  constructor(private readonly options: DiskOutboxOptions) {
    this.now = options.now ?? Date.now;
    mkdirSync(options.dir, { recursive: true, mode: 0o700 });
    this.lock();
    this.epoch = this.loadEpoch();
    this.recover();
  }

  push(entry: NewOutboxEntry): void {
    this.append(entry);
    this.enforceBounds();
    for (const l of this.listeners) l();
  }

  peek(max: number): OutboxEntry[] {
    this.enforceBounds();
    return this.entries.slice(this.head, this.head + max).map((s) => s.entry);
  }

  removeThrough(seq: number): void {
    let moved = false;
    while (this.head < this.entries.length && (this.entries[this.head] as Stored).entry.seq <= seq) {
      this.bytes -= (this.entries[this.head] as Stored).bytes;
      this.head++;
      moved = true;
    }
    if (!moved) return;
    this.cursor.ackedSeq = Math.max(this.cursor.ackedSeq, seq);
    this.saveCursor();
    this.compact();
  }

  size(): number {
    return this.entries.length - this.head;
  }

  sizeBytes(): number {
    return this.bytes;
  }

  dropped(): number {
    return this.cursor.dropped;
  }

  onPush(listener: () => void): void {
    this.listeners.push(listener);
  }

  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
    rmSync(join(this.options.dir, LOCK), { force: true });
  }

  /** Takes the folder's lock file, or throws naming the live process that holds it (a stale lock is taken over). */
  private lock(): void {
    const path = join(this.options.dir, LOCK);
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        writeFileSync(path, String(process.pid), { flag: 'wx', mode: 0o600 });
        return;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      }
      const holder = Number.parseInt(readFileSync(path, 'utf8'), 10);
      if (Number.isInteger(holder) && holder !== process.pid && processAlive(holder)) {
        throw new OutboxLockedError(
          `outbox ${this.options.dir} is in use by process ${holder} (another vigie-agent with the same state folder?)`,
        );
      }
      // The holder is gone (killed): its lock is stale.
      rmSync(path, { force: true });
    }
    throw new OutboxLockedError(`outbox ${this.options.dir}: cannot take the lock file ${path}`);
  }

  private loadEpoch(): string {
    const path = join(this.options.dir, STREAM);
    try {
      const stored = JSON.parse(readFileSync(path, 'utf8')) as { epoch?: unknown };
      if (typeof stored.epoch === 'string' && /^[A-Za-z0-9_-]{8,64}$/.test(stored.epoch)) return stored.epoch;
      this.options.warn?.(`outbox ${STREAM} has no valid epoch; starting a new one`);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') {
        this.options.warn?.(`outbox ${STREAM} unreadable, starting a new epoch: ${(err as Error).message}`);
      }
    }
    const epoch = randomUUID();
    const tmp = `${path}.tmp`;
    const fd = openSync(tmp, 'w', 0o600);
    writeSync(fd, JSON.stringify({ epoch }));
    fsyncSync(fd);
    closeSync(fd);
    renameSync(tmp, path);
    return epoch;
  }

  private append(entry: NewOutboxEntry): OutboxEntry {
    const full = { ...entry, seq: this.nextSeq++ } as OutboxEntry;
    const at = this.now();
    const line = `${JSON.stringify({ at, ...full })}\n`;
    const bytes = Buffer.byteLength(line);
    if (this.fd === undefined || this.segmentSize + bytes > (this.options.segmentBytes ?? 1024 * 1024)) {
      this.openSegment(full.seq);
    }
    writeSync(this.fd as number, line);
    if (this.options.fsync) fsyncSync(this.fd as number);
    this.segmentSize += bytes;
    (this.segments[this.segments.length - 1] as Segment).lastSeq = full.seq;
    this.entries.push({ entry: full, bytes, at });
    this.bytes += bytes;
    return full;
  }

  /** Drops the oldest entries past the byte or age bound, then records the loss as an event. */
  private enforceBounds(): void {
    const oldestAllowed = this.now() - this.options.maxAgeMs;
    let dropped = 0;
    // Loss reports dropped in turn carry their count into the new report, so the total is never lost.
    let carried = 0;
    let firstDropped: number | undefined;
    while (this.size() > 0) {
      const oldest = this.entries[this.head] as Stored;
      if (this.bytes <= this.options.maxBytes && oldest.at >= oldestAllowed) break;
      if (oldest.entry.kind === 'event' && this.size() === 1) break; // keep the report of the loss itself
      if (oldest.entry.kind === 'event') carried += Number(oldest.entry.event.details.dropped ?? 0);
      else dropped++;
      firstDropped ??= oldest.at;
      this.bytes -= oldest.bytes;
      this.head++;
    }
    if (dropped + carried === 0) return;
    const lastDroppedSeq = (this.entries[this.head - 1] as Stored).entry.seq;
    this.cursor.dropped += dropped;
    this.cursor.ackedSeq = Math.max(this.cursor.ackedSeq, lastDroppedSeq);
    this.saveCursor();
    this.options.warn?.(`outbox bound reached: dropped the ${dropped} oldest entries`);
    this.append({
      kind: 'event',
      event: {
        eventId: this.options.newId(),
        at: new Date(this.now()).toISOString(),
        kind: 'outbox.dropped',
        details: {
          dropped: dropped + carried,
          totalDropped: this.cursor.dropped,
          oldestDroppedAt: new Date(firstDropped as number).toISOString(),
          maxBytes: this.options.maxBytes,
          maxAgeSeconds: Math.round(this.options.maxAgeMs / 1000),
        },
      },
    });
    this.compact();
  }

  private openSegment(firstSeq: number): void {
    if (this.fd !== undefined) closeSync(this.fd);
    const name = `segment-${String(firstSeq).padStart(16, '0')}.jsonl`;
    this.fd = openSync(join(this.options.dir, name), 'a', 0o600);
    this.segmentSize = 0;
    this.segments.push({ name, lastSeq: firstSeq - 1 });
  }

  private saveCursor(): void {
    const tmp = join(this.options.dir, `${CURSOR}.tmp`);
    writeFileSync(tmp, JSON.stringify(this.cursor), { mode: 0o600 });
    renameSync(tmp, join(this.options.dir, CURSOR));
  }

  /** Forgets acked entries in memory and deletes segment files that hold only acked entries. */
  private compact(): void {
    if (this.head > 1024 && this.head * 2 > this.entries.length) {
      this.entries.splice(0, this.head);
      this.head = 0;
    }
    while (this.segments.length > 1 && (this.segments[0] as Segment).lastSeq <= this.cursor.ackedSeq) {
      const seg = this.segments.shift() as Segment;
      rmSync(join(this.options.dir, seg.name), { force: true });
    }
  }

  private recover(): void {
    try {
      this.cursor = {
        ...this.cursor,
        ...(JSON.parse(readFileSync(join(this.options.dir, CURSOR), 'utf8')) as Cursor),
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') {
        this.options.warn?.(`outbox cursor unreadable, resending everything kept: ${(err as Error).message}`);
      }
    }
    const names = readdirSync(this.options.dir)
      .filter((n) => /^segment-\d{16}\.jsonl$/.test(n))
      .sort();
    for (const name of names) {
      const text = readFileSync(join(this.options.dir, name), 'utf8');
      let lastSeq = 0;
      const lines = text.split('\n');
      for (const [i, line] of lines.entries()) {
        if (line === '') continue;
        let parsed: (OutboxEntry & { at: number }) | undefined;
        try {
          parsed = JSON.parse(line) as OutboxEntry & { at: number };
        } catch {
          // Only the last line of a segment can be torn (killed mid-write); anything else is damage.
          this.options.warn?.(
            i >= lines.length - 2
              ? `outbox ${name}: ignored a torn last line`
              : `outbox ${name}: skipped a damaged line ${i + 1}`,
          );
          continue;
        }
        const { at, ...entry } = parsed;
        lastSeq = Math.max(lastSeq, entry.seq);
        this.nextSeq = Math.max(this.nextSeq, entry.seq + 1);
        if (entry.seq <= this.cursor.ackedSeq) continue;
        const bytes = Buffer.byteLength(line) + 1;
        this.entries.push({ entry, bytes, at });
        this.bytes += bytes;
      }
      this.segments.push({ name, lastSeq });
    }
    this.nextSeq = Math.max(this.nextSeq, this.cursor.ackedSeq + 1);
    this.entries.sort((a, b) => a.entry.seq - b.entry.seq);
    // New entries go to a new segment: the last one may end with a torn line.
    this.fd = undefined;
    this.compact();
  }
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it exists but belongs to another user.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
