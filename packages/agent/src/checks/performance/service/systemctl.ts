// Asks systemd about one unit (`systemctl show`) and reads the answer.
import { execTool } from '../../spawn.js';

export const UNIT_PROPERTIES = [
  'LoadState',
  'ActiveState',
  'SubState',
  'NRestarts',
  'MainPID',
  'ExecMainStartTimestampMonotonic',
] as const;
/** Asked for too, but older systemd or a unit without memory accounting may not give them. */
export const OPTIONAL_UNIT_PROPERTIES = ['MemoryCurrent'] as const;

export interface UnitState {
  loadState: string;
  activeState: string;
  subState: string;
  /** Automatic restarts (`Restart=`) since the unit was loaded; a manual restart does not count. */
  restartsTotal: number;
  mainPid: number;
  /** CLOCK_MONOTONIC microseconds when the main process started; 0 when it never did. */
  startMonotonicUs: number;
  /** The unit's cgroup memory (`MemoryCurrent`), when systemd accounts for it. */
  memoryBytes?: number;
}

/** `Key=value` lines, in whatever order systemctl prints them. Throws when a property is missing. */
export function parseSystemctlShow(text: string): UnitState {
  const values = new Map<string, string>();
  for (const line of text.split('\n')) {
    const eq = line.indexOf('=');
    if (eq > 0) values.set(line.slice(0, eq), line.slice(eq + 1).trim());
  }
  const missing = UNIT_PROPERTIES.filter((key) => !values.has(key));
  if (missing.length > 0) throw new Error(`systemctl show printed no ${missing.join(', ')}`);
  const get = (key: (typeof UNIT_PROPERTIES)[number]) => values.get(key) ?? '';
  // NRestarts is empty on systemd before 235: count it as 0.
  const number = (key: (typeof UNIT_PROPERTIES)[number]) => Number(get(key)) || 0;
  const state: UnitState = {
    loadState: get('LoadState'),
    activeState: get('ActiveState'),
    subState: get('SubState'),
    restartsTotal: number('NRestarts'),
    mainPid: number('MainPID'),
    startMonotonicUs: number('ExecMainStartTimestampMonotonic'),
  };
  // `[not set]` without memory accounting; UINT64_MAX ("infinity") when the kernel gives no figure.
  const memory = values.get('MemoryCurrent');
  if (memory !== undefined && /^\d+$/.test(memory) && Number(memory) < 2 ** 63)
    state.memoryBytes = Number(memory);
  return state;
}

/** The first line systemctl wrote on stderr, e.g. why it cannot reach systemd. */
export function systemctlFailureReason(stderr: string): string {
  const line = stderr.split('\n').find((l) => l.trim() !== '');
  return (line ?? 'no error message').trim().slice(0, 200);
}

const MAX_OUTPUT_BYTES = 64 * 1024;

/** Runs `systemctl [--user] show -p ... -- <unit>`; rejects with a one-line reason. */
export async function showUnit(unit: string, scope: 'system' | 'user', signal: AbortSignal): Promise<string> {
  const args = [
    ...(scope === 'user' ? ['--user'] : []),
    'show',
    `--property=${[...UNIT_PROPERTIES, ...OPTIONAL_UNIT_PROPERTIES].join(',')}`,
    '--',
    unit,
  ];
  try {
    const { stdout } = await execTool('systemctl', args, { signal, maxBuffer: MAX_OUTPUT_BYTES });
    return stdout;
  } catch (err) {
    const stderr = (err as { stderr?: unknown }).stderr;
    if (typeof stderr === 'string' && stderr.trim() !== '') {
      throw new Error(`systemctl: ${systemctlFailureReason(stderr)}`, { cause: err });
    }
    throw err;
  }
}
