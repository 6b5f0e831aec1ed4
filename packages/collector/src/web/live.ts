// The live feed of the NOC page: the collector publishes what changed (a ticket, an agent, new results) and
// each open page, subscribed through GET /api/live, refetches what it shows. Events say what changed, never
// the data itself, so a page always reads through the API and its tenant scope.

export type LiveEvent =
  | { type: 'ticket'; tenant: string; ticketId: string; action: string }
  | { type: 'agent'; tenant: string; host: string }
  | { type: 'results'; tenant: string; host: string };

export type LiveListener = (event: LiveEvent) => void;

export class LiveFeed {
  private readonly listeners = new Set<LiveListener>();

  /** Hands the event to every subscriber, synchronously; a failing subscriber never stops the others. */
  publish(event: LiveEvent): void {
    for (const listener of [...this.listeners]) {
      try {
        listener(event);
      } catch {
        // A subscriber's failure is its own (a closed socket); the publisher (ingest, tickets) goes on.
      }
    }
  }

  /** Returns the unsubscribe function. */
  subscribe(listener: LiveListener): () => void {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  /** How many subscribers listen now (open pages). */
  get size(): number {
    return this.listeners.size;
  }
}
