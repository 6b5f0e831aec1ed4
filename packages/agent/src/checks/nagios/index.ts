// The `nagios` check: runs any Nagios / Monitoring Plugins executable and reads its exit code and perfdata.
import { isAbsolute } from 'node:path';
import { type CheckContext, defineCheck } from '../types.js';
import { type NagiosOptions, NagiosOptionsSchema, resolveNagiosOptions } from './options.js';
import { type NagiosOutcome, outcomeFromRun } from './output.js';
import { runPlugin } from './process.js';

export type { NagiosOutcome } from './output.js';

/** The check's run, typed with its category-carrying outcome (the plugin contract only knows CheckOutcome). */
export async function runNagiosCheck(options: NagiosOptions, ctx: CheckContext): Promise<NagiosOutcome> {
  const resolved = resolveNagiosOptions(options);
  if (!isAbsolute(resolved.command)) {
    return {
      status: 'unknown',
      metrics: {},
      message: `command must be an absolute path: ${resolved.command.slice(0, 200)}`,
      category: resolved.category,
    };
  }
  const run = await runPlugin(resolved.command, resolved.args, resolved.env, ctx.signal);
  return outcomeFromRun(run, resolved.command, resolved.category);
}

export const nagiosCheck = defineCheck({
  type: 'nagios',
  // A plugin can be about anything: this is the default, and the `category` option overrides it per check
  // through NagiosOutcome.category, once the runner honours it.
  category: 'performance',
  summary: 'Runs a Nagios-compatible plugin: exit code as status, first line as message, perfdata as metrics',
  options: NagiosOptionsSchema,
  run: runNagiosCheck,
});

export default nagiosCheck;
