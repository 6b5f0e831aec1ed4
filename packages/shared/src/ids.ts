// Time-ordered unique ids (UUIDv7, RFC 9562), with the clock and randomness injectable for tests.
import { randomFillSync } from 'node:crypto';

export type Clock = () => number;
export type RandomBytes = (size: number) => Uint8Array;

/** Randomness drawn 4 KiB at a time: one system call per 512 ids rather than one per id. */
const pool = new Uint8Array(4096);
let poolAt = pool.length;
const defaultRandom: RandomBytes = (size) => {
  if (poolAt + size > pool.length) {
    randomFillSync(pool);
    poolAt = 0;
  }
  poolAt += size;
  return pool.subarray(poolAt - size, poolAt);
};

/** Makes ids that sort by creation time, even within one millisecond (monotonic counter). */
export function createIdGenerator(
  clock: Clock = Date.now,
  random: RandomBytes = defaultRandom,
): () => string {
  let lastMs = -1;
  let counter = 0;
  return () => {
    let ms = clock();
    if (ms <= lastMs) {
      ms = lastMs;
      counter++;
      if (counter > 0xfff) {
        // 4096 ids in one millisecond: borrow the next millisecond rather than lose ordering.
        ms = lastMs + 1;
        counter = 0;
      }
    } else {
      counter = 0;
    }
    lastMs = ms;
    const bytes = new Uint8Array(16);
    const rand = random(8);
    let t = ms;
    for (let i = 5; i >= 0; i--) {
      bytes[i] = t % 256;
      t = Math.floor(t / 256);
    }
    bytes[6] = 0x70 | ((counter >> 8) & 0x0f);
    bytes[7] = counter & 0xff;
    bytes[8] = 0x80 | ((rand[0] ?? 0) & 0x3f);
    for (let i = 9; i < 16; i++) bytes[i] = rand[i - 8] ?? 0;
    const hex = Buffer.from(bytes).toString('hex');
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
  };
}

/** The creation time (ms since epoch) encoded in a UUIDv7. */
export function uuidv7Time(id: string): number {
  return Number.parseInt(id.replace(/-/g, '').slice(0, 12), 16);
}
