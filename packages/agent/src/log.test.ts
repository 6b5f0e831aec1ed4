import { describe, expect, it } from 'vitest';
import { createLog } from './log.js';

describe('agent log', () => {
  it('writes pino-format JSON lines at or above its level', () => {
    const lines: string[] = [];
    const log = createLog({
      name: 'vigie-agent',
      level: 'info',
      write: (l) => lines.push(l),
      now: () => 1000,
    });
    log.debug({ check: 'cpu' }, 'check ran');
    log.info({ pending: 3 }, 'outbox holds unacked entries');
    log.warn('no pong from collector');
    log.error({ err: new TypeError('boom') }, 'failed');
    expect(lines).toHaveLength(3);
    expect(lines.every((l) => l.endsWith('\n'))).toBe(true);
    const [info, warn, error] = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(info).toMatchObject({
      level: 30,
      time: 1000,
      name: 'vigie-agent',
      pending: 3,
      msg: 'outbox holds unacked entries',
    });
    expect(warn).toMatchObject({ level: 40, msg: 'no pong from collector' });
    expect(error?.err).toMatchObject({ type: 'TypeError', message: 'boom' });
  });
});
