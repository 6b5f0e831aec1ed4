// Runs each configured check on its own cron schedule, never overlapping itself: one timer wakes at each second
// of the local time and runs the checks whose schedule matches it.
import { createIdGenerator } from '@vigie/shared';
import { loadCheck } from './checks/registry.js';
import { type CheckRun, runCheck } from './checks/runner.js';
import type { CheckPlugin } from './checks/types.js';
import type { CheckDefinition } from './config/schema.js';
import { type CronSchedule, cronMatches, parseCron } from './cron.js';

/** After a pause (a suspended host, a stalled loop), the seconds that are still caught up, at most. */
const CATCH_UP_SECONDS = 59;

export interface SchedulerEvents {
  onResult(run: CheckRun): void;
  /** A tick came while the previous run of the same check was still going. */
  onSkipped(checkId: string): void;
}

export interface SchedulerOptions {
  now?: () => Date;
  newId?: () => string;
  /** Run every check once at start, before its first scheduled time (default true). */
  runAtStart?: boolean;
  /** Where check types are looked up (default: the registry, which loads a check's code on first use). */
  lookup?: (type: string) => CheckPlugin | undefined | Promise<CheckPlugin | undefined>;
}

export class Scheduler {
  private schedules: Array<{ def: CheckDefinition; schedule: CronSchedule }> = [];
  private timer: NodeJS.Timeout | undefined;
  private lastSecond = 0;
  private started = false;
  private readonly running = new Set<string>();
  private readonly state = new Map<string, Map<string, unknown>>();
  private readonly now: () => Date;
  private readonly newId: () => string;

  constructor(
    private readonly checks: CheckDefinition[],
    private readonly events: SchedulerEvents,
    private readonly options: SchedulerOptions = {},
  ) {
    this.now = options.now ?? (() => new Date());
    this.newId = options.newId ?? createIdGenerator();
  }

  start(): void {
    this.schedules = this.checks.map((def) => {
      const schedule = parseCron(def.schedule);
      if (typeof schedule === 'string') throw new Error(`check ${def.id}: schedule ${schedule}`);
      return { def, schedule };
    });
    this.started = true;
    this.lastSecond = Math.floor(this.now().getTime() / 1000);
    this.arm();
    if (this.options.runAtStart !== false) for (const def of this.checks) void this.tick(def);
  }

  async stop(): Promise<void> {
    this.started = false;
    clearTimeout(this.timer);
  }

  /** Wakes just after the next whole second. */
  private arm(): void {
    const ms = 1000 - (this.now().getTime() % 1000);
    this.timer = setTimeout(() => this.onSecond(), ms + 2);
  }

  /** Runs what matches each second since the last wake (a late timer does not skip a schedule). */
  private onSecond(): void {
    if (!this.started) return;
    const nowSecond = Math.floor(this.now().getTime() / 1000);
    // The clock set back: start again from now rather than wait for the old time to come back.
    if (nowSecond < this.lastSecond) this.lastSecond = nowSecond - 1;
    for (let s = Math.max(this.lastSecond + 1, nowSecond - CATCH_UP_SECONDS); s <= nowSecond; s++) {
      const at = new Date(s * 1000);
      for (const { def, schedule } of this.schedules) if (cronMatches(schedule, at)) void this.tick(def);
    }
    this.lastSecond = Math.max(this.lastSecond, nowSecond);
    this.arm();
  }

  /** Runs one check now unless its previous run is still going. Resolves when the run's result is out. */
  tick(def: CheckDefinition): Promise<void> {
    if (this.running.has(def.id)) {
      this.events.onSkipped(def.id);
      return Promise.resolve();
    }
    this.running.add(def.id);
    return this.runOnce(def).then((run) => {
      // The slot frees only when the plugin itself settles, even if it outlived its timeout.
      run.settled.then(() => this.running.delete(def.id));
      this.events.onResult(run);
    });
  }

  async runOnce(def: CheckDefinition): Promise<CheckRun> {
    const plugin = await (this.options.lookup ?? loadCheck)(def.type);
    if (!plugin) throw new Error(`check ${def.id}: unknown type ${def.type}`);
    return runCheck(def, plugin, {
      now: this.now,
      newId: this.newId,
      stateFor: (id) => {
        let s = this.state.get(id);
        if (!s) {
          s = new Map();
          this.state.set(id, s);
        }
        return s;
      },
    });
  }
}

/** Runs the given checks once each, concurrently, and returns their results in config order. */
export async function runAllOnce(
  checks: CheckDefinition[],
  options: SchedulerOptions = {},
): Promise<CheckRun[]> {
  const scheduler = new Scheduler(checks, { onResult: () => {}, onSkipped: () => {} }, options);
  return Promise.all(checks.map((c) => scheduler.runOnce(c)));
}
