// Slices: jobs run in order, no more than the budget per turn, a throwing job does not stop the others.
import { describe, expect, it } from 'vitest';
import { Slices } from './slices.js';

/** A clock that jobs move forward, and turns of the event loop that the test runs one at a time. */
function harness(budgetMs: number) {
  let clock = 0;
  const turns: Array<() => void> = [];
  const errors: Error[] = [];
  const slices = new Slices({
    budgetMs,
    now: () => clock,
    defer: (fn) => turns.push(fn),
    onError: (err) => errors.push(err),
  });
  const turn = () => (turns.shift() as () => void)();
  return { slices, turns, errors, turn, spend: (ms: number) => (clock += ms) };
}

describe('slices', () => {
  it('runs jobs in order, stopping a turn once its budget is spent, and goes on next turn', () => {
    const h = harness(5);
    const ran: number[] = [];
    for (let i = 0; i < 10; i++)
      h.slices.push(() => {
        ran.push(i);
        h.spend(2);
      });
    expect(ran).toEqual([]);
    expect(h.turns).toHaveLength(1);
    h.turn();
    // 2 + 2 + 2 ms: the third job passes the 5 ms budget, the turn ends after it.
    expect(ran).toEqual([0, 1, 2]);
    expect(h.slices.size).toBe(7);
    expect(h.turns).toHaveLength(1);
    h.turn();
    h.turn();
    h.turn();
    expect(ran).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(h.turns).toHaveLength(0);
    expect(h.slices.size).toBe(0);
  });

  it('asks for one turn however many jobs are pushed before it, and a new one after it', () => {
    const h = harness(5);
    const ran: string[] = [];
    h.slices.push(() => ran.push('a'));
    h.slices.push(() => ran.push('b'));
    expect(h.turns).toHaveLength(1);
    h.turn();
    expect(ran).toEqual(['a', 'b']);
    h.slices.push(() => ran.push('c'));
    expect(h.turns).toHaveLength(1);
    h.turn();
    expect(ran).toEqual(['a', 'b', 'c']);
  });

  it('a job that takes longer than the budget still runs whole, one per turn', () => {
    const h = harness(5);
    const ran: number[] = [];
    for (let i = 0; i < 3; i++)
      h.slices.push(() => {
        ran.push(i);
        h.spend(20);
      });
    h.turn();
    expect(ran).toEqual([0]);
    h.turn();
    expect(ran).toEqual([0, 1]);
  });

  it('reports a job that throws and runs the next', () => {
    const h = harness(5);
    const ran: string[] = [];
    h.slices.push(() => {
      throw new Error('bad frame');
    });
    h.slices.push(() => ran.push('next'));
    h.turn();
    expect(h.errors.map((e) => e.message)).toEqual(['bad frame']);
    expect(ran).toEqual(['next']);
  });

  it('keeps order across many turns with a long backlog', () => {
    const h = harness(1);
    const ran: number[] = [];
    for (let i = 0; i < 5000; i++)
      h.slices.push(() => {
        ran.push(i);
        h.spend(0.5);
      });
    while (h.turns.length > 0) h.turn();
    expect(ran).toEqual(Array.from({ length: 5000 }, (_, i) => i));
    expect(h.slices.size).toBe(0);
  });
});
