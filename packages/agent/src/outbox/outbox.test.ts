import type { Result } from '@vigie/shared';
import { describe, expect, it } from 'vitest';
import { MemoryOutbox } from './outbox.js';

const r = (n: number) => ({ id: String(n) }) as unknown as Result;

describe('MemoryOutbox', () => {
  it('keeps order, removes only acked entries, and counts what its bound drops', () => {
    const box = new MemoryOutbox(3);
    let pushes = 0;
    box.onPush(() => pushes++);
    for (let i = 1; i <= 5; i++) box.push({ kind: 'result', result: r(i) });
    expect(pushes).toBe(5);
    expect(box.dropped()).toBe(2);
    const first = box.peek(2);
    expect(first.map((e) => (e.kind === 'result' ? e.result.id : ''))).toEqual(['3', '4']);
    box.removeThrough(first[1]?.seq ?? 0);
    expect(box.size()).toBe(1);
    expect(box.peek(10).map((e) => (e.kind === 'result' ? e.result.id : ''))).toEqual(['5']);
  });
});
