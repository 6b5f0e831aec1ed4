import { describe, expect, it } from 'vitest';
import { SnapshotStream } from './snapshots.js';

describe('SnapshotStream', () => {
  let n = 0;
  let clock = 0;
  const stream = () => new SnapshotStream({ newId: () => `s${++n}`, now: () => clock, fullEveryMs: 1000 });

  it('sends the first fingerprint in full, then only changes against the previous one', () => {
    const s = stream();
    const first = s.next('fp', { a: '1', b: '2' }, 't1');
    expect(first).toMatchObject({ full: true, items: { a: '1', b: '2' }, removed: [] });
    expect(s.next('fp', { a: '1', b: '2' }, 't2')).toBeUndefined();
    const delta = s.next('fp', { a: '1', c: '3' }, 't3');
    expect(delta).toMatchObject({
      full: false,
      items: { c: '3' },
      removed: ['b'],
      baseSnapshotId: first?.snapshotId,
    });
    const again = s.next('fp', { a: '9', c: '3' }, 't4');
    expect(again?.baseSnapshotId).toBe(delta?.snapshotId);
  });

  it('sends a full one again after a day (here 1 s) and when the collector asks', () => {
    const s = stream();
    s.next('fp', { a: '1' }, 't1');
    clock += 1000;
    expect(s.next('fp', { a: '2' }, 't2')?.full).toBe(true);
    const asked = s.fullAgain('fp', 't3');
    expect(asked).toMatchObject({ full: true, items: { a: '2' } });
    expect(s.next('fp', { a: '3' }, 't4')).toMatchObject({ full: false, baseSnapshotId: asked?.snapshotId });
    expect(s.fullAgain('other', 't5')).toBeUndefined();
  });
});
