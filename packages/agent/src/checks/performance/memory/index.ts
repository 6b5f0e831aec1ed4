// The `memory` check: memory really in use (page cache excluded) and swap use, from /proc/meminfo.
import { readFile } from 'node:fs/promises';
import { describeError, unknownOutcome } from '../../failure.js';
import { type CheckOutcome, defineCheck } from '../../types.js';
import { memoryUsage, parseMeminfo } from './meminfo.js';
import { MemoryOptionsSchema } from './options.js';
import { judgeMemory } from './verdict.js';

export const MEMINFO_PATH = '/proc/meminfo';

export const memoryCheck = defineCheck({
  type: 'memory',
  category: 'performance',
  summary: 'Memory used (page cache excluded) and swap used',
  options: MemoryOptionsSchema,
  async run(options, ctx): Promise<CheckOutcome> {
    try {
      const text = await readFile(MEMINFO_PATH, { encoding: 'utf8', signal: ctx.signal });
      return judgeMemory(memoryUsage(parseMeminfo(text)), options);
    } catch (err) {
      return unknownOutcome(`cannot read ${MEMINFO_PATH}: ${describeError(err)}`);
    }
  },
});

export default memoryCheck;
