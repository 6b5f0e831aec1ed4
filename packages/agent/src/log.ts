// The agent's log: one JSON object per line on stderr, in pino's format ({"level":30,"time":...,"msg":...}) so
// journald, log shippers and the tests read it as before. Not pino itself: its modules cost several MB of
// resident memory on every client server, for the handful of lines an agent writes.
import { hostname } from 'node:os';

/** What the agent's parts log through; a pino Logger fits it too (the tests and embedders pass one). */
export interface AgentLog {
  debug(obj: object, msg?: string): void;
  debug(msg: string): void;
  info(obj: object, msg?: string): void;
  info(msg: string): void;
  warn(obj: object, msg?: string): void;
  warn(msg: string): void;
  error(obj: object, msg?: string): void;
  error(msg: string): void;
}

const LEVELS = { trace: 10, debug: 20, info: 30, warn: 40, error: 50, fatal: 60 } as const;
type LevelName = keyof typeof LEVELS;

export interface LogOptions {
  name: string;
  /** trace, debug, info, warn, error or fatal; an unknown name is refused by the caller's check. */
  level: LevelName;
  write?: (line: string) => void;
  now?: () => number;
}

export function isLevelName(name: string): name is LevelName {
  return Object.hasOwn(LEVELS, name);
}

export function createLog(options: LogOptions): AgentLog {
  const threshold = LEVELS[options.level];
  // Writes to a pipe or a file are synchronous on Linux: a line is out before the process exits.
  const write = options.write ?? ((line: string) => void process.stderr.write(line));
  const now = options.now ?? Date.now;
  const base = { pid: process.pid, hostname: hostname(), name: options.name };
  const at =
    (level: number) =>
    (objOrMsg: object | string, msg?: string): void => {
      if (level < threshold) return;
      const fields = typeof objOrMsg === 'string' ? {} : objOrMsg;
      const text = typeof objOrMsg === 'string' ? objOrMsg : msg;
      const line = {
        level,
        time: now(),
        ...base,
        ...serialise(fields),
        ...(text === undefined ? {} : { msg: text }),
      };
      write(`${JSON.stringify(line)}\n`);
    };
  return { debug: at(LEVELS.debug), info: at(LEVELS.info), warn: at(LEVELS.warn), error: at(LEVELS.error) };
}

/** Errors as pino shows them: type, message and stack, never `{}`. */
function serialise(fields: object): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(fields)) {
    out[k] = v instanceof Error ? { type: v.name, message: v.message, stack: v.stack } : v;
  }
  return out;
}
