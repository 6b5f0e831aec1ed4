import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { FingerprintItems, MAX_ITEMS, MAX_KEY_LENGTH, MAX_VALUE_LENGTH } from './items.js';

describe('fingerprint items within the protocol limits', () => {
  it('keeps the first items up to the cap and counts the ones left out', () => {
    const items = new FingerprintItems();
    for (let i = 0; i < MAX_ITEMS + 10; i++) items.add(`package.p${i}`, '1.0');
    expect(items.size).toBe(MAX_ITEMS);
    expect(items.leftOut).toBe(10);
    expect(items.toSnapshot()['package.p0']).toBe('1.0');
    expect(items.toSnapshot()[`package.p${MAX_ITEMS}`]).toBeUndefined();
  });

  it('leaves out a key too long, and digests a value too long instead of cutting it', () => {
    const items = new FingerprintItems();
    items.add(`config./x.${'k'.repeat(MAX_KEY_LENGTH)}`, 'v');
    const long = 'v'.repeat(MAX_VALUE_LENGTH + 1);
    items.add('config./x.long', long);
    items.add('config./x.limit', 'v'.repeat(MAX_VALUE_LENGTH));
    expect(items.leftOut).toBe(1);
    expect(items.toSnapshot()['config./x.long']).toBe(
      `sha256:${createHash('sha256').update(long).digest('hex')}`,
    );
    expect(items.toSnapshot()['config./x.limit']).toHaveLength(MAX_VALUE_LENGTH);
  });
});
