// Runs each configured check on its own cron schedule (node-cron), never overlapping itself.
import { createIdGenerator } from '@vigie/shared';
import cron, { type ScheduledTask } from 'node-cron';
import { loadCheck } from './checks/registry.js';
import { type CheckRun, runCheck } from './checks/runner.js';
import type { CheckPlugin } from './checks/types.js';
import type { CheckDefinition } from './config/schema.js';

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
  private readonly tasks: ScheduledTask[] = [];
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
    for (const def of this.checks) {
      this.tasks.push(cron.schedule(def.schedule, () => this.tick(def), { name: def.id }));
      if (this.options.runAtStart !== false) this.tick(def);
    }
  }

  async stop(): Promise<void> {
    await Promise.all(this.tasks.map((t) => t.stop()));
    this.tasks.length = 0;
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
