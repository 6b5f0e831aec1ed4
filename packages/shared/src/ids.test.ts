import { describe, expect, it } from 'vitest';
import { createIdGenerator, uuidv7Time } from './ids.js';

describe('createIdGenerator', () => {
  it('makes RFC 9562 version-7 ids that encode their creation time', () => {
    const next = createIdGenerator(() => Date.UTC(2026, 10, 28, 12, 0, 0));
    const id = next();
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(uuidv7Time(id)).toBe(Date.UTC(2026, 10, 28, 12, 0, 0));
  });

  it('keeps ids sorted and unique within one millisecond and when the clock steps back', () => {
    let t = 1_000_000;
    const clock = () => t;
    const next = createIdGenerator(clock, (n) => new Uint8Array(n)); // constant randomness: order must come from time
    const ids: string[] = [];
    for (let i = 0; i < 5000; i++) ids.push(next());
    t -= 50; // clock goes backwards (NTP step)
    for (let i = 0; i < 10; i++) ids.push(next());
    expect(new Set(ids).size).toBe(ids.length);
    expect([...ids].sort()).toEqual(ids);
  });
});
