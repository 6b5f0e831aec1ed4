import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { applySnapshotDelta, deltaSize, diffSnapshot, isEmptyDelta } from './delta.js';

describe('diffSnapshot', () => {
  it('lists what was added or changed, and what was removed', () => {
    const previous = {
      'os.kernel': '6.1.0-17-amd64',
      'package.openssl': '3.0.11-1',
      'package.curl': '7.88.1-10',
    };
    const current = {
      'os.kernel': '6.1.0-18-amd64',
      'package.openssl': '3.0.11-1',
      'runtime.node': '20.20.2',
    };
    const delta = diffSnapshot(previous, current);
    expect(delta).toEqual({
      items: { 'os.kernel': '6.1.0-18-amd64', 'runtime.node': '20.20.2' },
      removed: ['package.curl'],
    });
    expect(deltaSize(delta)).toBe(3);
    expect(isEmptyDelta(delta)).toBe(false);
  });

  it('is empty between equal fingerprints, and everything against an empty one', () => {
    const items = { 'os.arch': 'x64', 'cpu.cores': '8' };
    expect(isEmptyDelta(diffSnapshot(items, { ...items }))).toBe(true);
    expect(diffSnapshot({}, items)).toEqual({ items, removed: [] });
    expect(diffSnapshot(items, {})).toEqual({ items: {}, removed: ['cpu.cores', 'os.arch'] });
  });

  it('treats a value becoming empty as a change, and keys named like Object members as items', () => {
    expect(diffSnapshot({ 'os.codename': 'bookworm' }, { 'os.codename': '' }).items).toEqual({
      'os.codename': '',
    });
    const odd = Object.fromEntries([
      ['__proto__', 'a'],
      ['constructor', 'b'],
    ]);
    const delta = diffSnapshot({}, odd);
    expect(Object.keys(delta.items).sort()).toEqual(['__proto__', 'constructor']);
    expect(diffSnapshot(odd, {}).removed).toEqual(['__proto__', 'constructor']);
  });

  it('gives back the current fingerprint when applied to the previous one', () => {
    const items = fc.dictionary(fc.string({ minLength: 1, maxLength: 12 }), fc.string({ maxLength: 8 }));
    fc.assert(
      fc.property(items, items, (previous, current) => {
        const delta = diffSnapshot(previous, current);
        expect(applySnapshotDelta(previous, delta)).toEqual(current);
        // Nothing unchanged is sent.
        for (const [key, value] of Object.entries(delta.items)) expect(previous[key]).not.toBe(value);
      }),
    );
  });
});
