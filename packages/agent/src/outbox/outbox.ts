// The queue between the checks and the collector: results wait here until the collector acks them.
import { randomUUID } from 'node:crypto';
import type { AgentEvent, DriftSnapshot, Result } from '@vigie/shared';

export type NewOutboxEntry =
  | { kind: 'result'; result: Result }
  | { kind: 'snapshot'; snapshot: Omit<DriftSnapshot, 'v' | 'type'> }
  | { kind: 'event'; event: Omit<AgentEvent, 'v' | 'type'> };

export type OutboxEntry = NewOutboxEntry & { seq: number };

export interface Outbox {
  /**
   * The outbox's identity. Sequence numbers grow within an epoch and never restart in it, so the collector
   * recognises a replay by the highest sequence number of the epoch it has handled.
   */
  readonly epoch: string;
  push(entry: NewOutboxEntry): void;
  /** The oldest entries, at most `max`, without removing them. */
  peek(max: number): OutboxEntry[];
  /** Removes every entry up to and including `seq` (after the collector's ack). */
  removeThrough(seq: number): void;
  size(): number;
  /** Entries dropped because a bound was reached, since start. */
  dropped(): number;
  /** Called after each push, so a sender can wake up. */
  onPush(listener: () => void): void;
}

/**
 * In-memory outbox, bounded by entry count: when full, the oldest entry is dropped and counted.
 * It does not survive a restart of the agent.
 */
export class MemoryOutbox implements Outbox {
  readonly epoch = randomUUID();
  private entries: OutboxEntry[] = [];
  private head = 0;
  private nextSeq = 1;
  private droppedCount = 0;
  private readonly listeners: Array<() => void> = [];

  constructor(private readonly maxEntries: number) {}

  push(entry: NewOutboxEntry): void {
    this.entries.push({ ...entry, seq: this.nextSeq++ } as OutboxEntry);
    while (this.size() > this.maxEntries) {
      this.head++;
      this.droppedCount++;
    }
    this.compact();
    for (const l of this.listeners) l();
  }

  peek(max: number): OutboxEntry[] {
    return this.entries.slice(this.head, this.head + max);
  }

  removeThrough(seq: number): void {
    while (this.head < this.entries.length && (this.entries[this.head] as OutboxEntry).seq <= seq)
      this.head++;
    this.compact();
  }

  size(): number {
    return this.entries.length - this.head;
  }

  dropped(): number {
    return this.droppedCount;
  }

  onPush(listener: () => void): void {
    this.listeners.push(listener);
  }

  private compact(): void {
    if (this.head > 1024 && this.head * 2 > this.entries.length) {
      this.entries = this.entries.slice(this.head);
      this.head = 0;
    }
  }
}
