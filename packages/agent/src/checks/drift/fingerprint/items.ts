// Collects snapshot items within the protocol's limits: how many, how long a key, how long a value.
import { createHash } from 'node:crypto';

export const MAX_ITEMS = 50_000;
export const MAX_KEY_LENGTH = 300;
export const MAX_VALUE_LENGTH = 4000;

/**
 * Items in insertion order, so what is added first (host, packages) survives the item cap and what is added
 * last (configuration values) is what gets left out. A value too long is replaced by `sha256:<hex>` of it:
 * still comparable, never cut in a way that hides a change.
 */
export class FingerprintItems {
  readonly #items = new Map<string, string>();
  #leftOut = 0;

  /** Items not kept: key too long, or over the cap. */
  get leftOut(): number {
    return this.#leftOut;
  }

  get size(): number {
    return this.#items.size;
  }

  add(key: string, value: string): void {
    if (key.length > MAX_KEY_LENGTH || (this.#items.size >= MAX_ITEMS && !this.#items.has(key))) {
      this.#leftOut++;
      return;
    }
    const kept =
      value.length > MAX_VALUE_LENGTH ? `sha256:${createHash('sha256').update(value).digest('hex')}` : value;
    this.#items.set(key, kept);
  }

  addAll(pairs: Iterable<readonly [string, string]>): void {
    for (const [key, value] of pairs) this.add(key, value);
  }

  toSnapshot(): Record<string, string> {
    // fromEntries defines own properties, so even a key spelled `__proto__` stays an item.
    return Object.fromEntries(this.#items);
  }
}
