import { appendFileSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createIdGenerator, type Result } from '@vigie/shared';
import { describe, expect, it } from 'vitest';
import { DiskOutbox } from './disk.js';
import type { OutboxEntry } from './outbox.js';

const newId = createIdGenerator();
const result = (n: number) =>
  ({
    id: newId(),
    checkId: `c${n}`,
    type: 't',
    category: 'performance',
    status: 'ok',
    metrics: { n },
    message: 'x'.repeat(100),
    observedAt: new Date().toISOString(),
    durationMs: 1,
  }) as Result;
const ids = (entries: OutboxEntry[]) => entries.map((e) => (e.kind === 'result' ? e.result.checkId : e.kind));

describe('DiskOutbox', () => {
  it('keeps unacked entries across a restart, in order, and forgets acked ones', () => {
    const dir = mkdtempSync(join(tmpdir(), 'vigie-outbox-'));
    const a = new DiskOutbox({ dir, maxBytes: 1e6, maxAgeMs: 86_400_000, newId, segmentBytes: 600 });
    for (let i = 1; i <= 10; i++) a.push({ kind: 'result', result: result(i) });
    const first = a.peek(4);
    a.removeThrough(first[3]?.seq as number);
    // No close(): as if the agent were killed here.
    const b = new DiskOutbox({ dir, maxBytes: 1e6, maxAgeMs: 86_400_000, newId, segmentBytes: 600 });
    expect(ids(b.peek(100))).toEqual(['c5', 'c6', 'c7', 'c8', 'c9', 'c10']);
    b.push({ kind: 'result', result: result(11) });
    const all = b.peek(100);
    expect(all.at(-1)?.seq).toBe(11);
    b.removeThrough(11);
    expect(b.size()).toBe(0);
    // Fully acked segments are deleted; at most the current one remains.
    expect(readdirSync(dir).filter((n) => n.startsWith('segment-')).length).toBeLessThanOrEqual(1);
    b.close();
    const c = new DiskOutbox({ dir, maxBytes: 1e6, maxAgeMs: 86_400_000, newId });
    expect(c.size()).toBe(0);
    c.push({ kind: 'result', result: result(12) });
    expect(c.peek(1)[0]?.seq).toBe(12);
  });

  it('ignores a torn last line left by a crash mid-write', () => {
    const dir = mkdtempSync(join(tmpdir(), 'vigie-outbox-'));
    const warnings: string[] = [];
    const a = new DiskOutbox({ dir, maxBytes: 1e6, maxAgeMs: 86_400_000, newId });
    a.push({ kind: 'result', result: result(1) });
    const seg = readdirSync(dir).find((n) => n.startsWith('segment-')) as string;
    appendFileSync(join(dir, seg), '{"at":1,"seq":2,"kind":"res');
    const b = new DiskOutbox({
      dir,
      maxBytes: 1e6,
      maxAgeMs: 86_400_000,
      newId,
      warn: (m) => warnings.push(m),
    });
    expect(ids(b.peek(10))).toEqual(['c1']);
    expect(warnings[0]).toContain('torn last line');
    b.push({ kind: 'result', result: result(3) });
    const c = new DiskOutbox({ dir, maxBytes: 1e6, maxAgeMs: 86_400_000, newId, warn: () => {} });
    expect(ids(c.peek(10))).toEqual(['c1', 'c3']);
  });

  it('drops the oldest entries past its byte bound and reports the loss as an event', () => {
    const dir = mkdtempSync(join(tmpdir(), 'vigie-outbox-'));
    const box = new DiskOutbox({ dir, maxBytes: 2000, maxAgeMs: 86_400_000, newId, warn: () => {} });
    for (let i = 1; i <= 20; i++) box.push({ kind: 'result', result: result(i) });
    expect(box.dropped()).toBeGreaterThan(0);
    expect(box.sizeBytes()).toBeLessThanOrEqual(2000 + 600);
    const entries = box.peek(100);
    const events = entries.filter((e) => e.kind === 'event');
    expect(events.length).toBeGreaterThan(0);
    const total = events.reduce((n, e) => n + (e.kind === 'event' ? Number(e.event.details.dropped) : 0), 0);
    const kept = entries.filter((e) => e.kind === 'result').length;
    expect(total).toBe(box.dropped());
    expect(kept + total).toBe(20);
    expect(
      ids(entries)
        .filter((x) => x !== 'event')
        .at(-1),
    ).toBe('c20');
    const cursor = JSON.parse(readFileSync(join(dir, 'cursor.json'), 'utf8')) as { dropped: number };
    expect(cursor.dropped).toBe(box.dropped());
  });

  it('drops entries older than its age bound, judged by the injected clock', () => {
    const dir = mkdtempSync(join(tmpdir(), 'vigie-outbox-'));
    let now = 1_000_000;
    const box = new DiskOutbox({
      dir,
      maxBytes: 1e6,
      maxAgeMs: 60_000,
      newId,
      now: () => now,
      warn: () => {},
    });
    box.push({ kind: 'result', result: result(1) });
    now += 30_000;
    box.push({ kind: 'result', result: result(2) });
    now += 45_000; // the first is now 75 s old
    const entries = box.peek(10);
    expect(ids(entries)).toEqual(['c2', 'event']);
    const ev = entries[1];
    expect(ev?.kind === 'event' && ev.event.details).toMatchObject({ dropped: 1, maxAgeSeconds: 60 });
  });
});
