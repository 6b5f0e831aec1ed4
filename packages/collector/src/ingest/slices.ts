// Work done in slices of the event loop's time. Decoding a frame (JSON, validation, screening) is the costliest
// part of receiving one; done in the socket's read callback, a burst of frames from hundreds of agents is decoded
// in one turn of the event loop (hundreds of milliseconds) while HTTP requests (`/healthz`, the API) wait for
// the turn to end. Queued here instead, jobs run in arrival order from `setImmediate`, at most `budgetMs` of
// them per turn: between two slices the event loop reads sockets, serves requests and runs timers.

export interface SlicesOptions {
  /** Time a slice may take before the rest waits for the next turn (a job is never cut). */
  budgetMs: number;
  /** Milliseconds, monotonic (default `performance.now`). */
  now?: () => number;
  /** Runs a function on a later turn of the event loop (default `setImmediate`). */
  defer?: (fn: () => void) => void;
  /** A job that threw (jobs should not: the error is reported and the next job runs). */
  onError: (err: Error) => void;
}

export class Slices {
  private jobs: Array<(() => void) | undefined> = [];
  private head = 0;
  private scheduled = false;
  private readonly now: () => number;
  private readonly defer: (fn: () => void) => void;

  constructor(private readonly options: SlicesOptions) {
    this.now = options.now ?? (() => performance.now());
    this.defer = options.defer ?? ((fn) => setImmediate(fn));
  }

  /** Jobs waiting for a slice. */
  get size(): number {
    return this.jobs.length - this.head;
  }

  push(job: () => void): void {
    this.jobs.push(job);
    this.schedule();
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    this.defer(() => this.slice());
  }

  private slice(): void {
    this.scheduled = false;
    const start = this.now();
    while (this.head < this.jobs.length) {
      const job = this.jobs[this.head] as () => void;
      this.jobs[this.head++] = undefined;
      try {
        job();
      } catch (err) {
        this.options.onError(err as Error);
      }
      if (this.now() - start >= this.options.budgetMs) break;
    }
    if (this.head === this.jobs.length) {
      this.jobs = [];
      this.head = 0;
    } else {
      if (this.head >= 1024) {
        this.jobs = this.jobs.slice(this.head);
        this.head = 0;
      }
      this.schedule();
    }
  }
}
