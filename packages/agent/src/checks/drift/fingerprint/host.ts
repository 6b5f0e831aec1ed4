// Reads the host facts that make up the fingerprint: OS, kernel, time zone, locale, CPU and memory.
import { readFile } from 'node:fs/promises';
import { hasErrorCode } from '../../failure.js';

export interface HostFacts {
  distro: string;
  release: string;
  codename: string;
  kernel: string;
  arch: string;
  timezone: string;
  /** Empty when neither the agent's environment nor the system's locale file sets one. */
  locale: string;
  cpuModel: string;
  cpuCores: number;
  memoryBytes: number;
}

export async function readHostFacts(): Promise<HostFacts> {
  // Loaded on the first fingerprint, not at agent start: systeminformation costs ~10 MB of resident memory.
  const { default: si } = await import('systeminformation');
  const [os, cpu, mem, etcTimezone, systemLocale] = await Promise.all([
    si.osInfo(),
    si.cpu(),
    si.mem(),
    readOptional('/etc/timezone'),
    readSystemLocale(),
  ]);
  return {
    distro: os.distro,
    release: os.release,
    codename: os.codename,
    kernel: os.kernel,
    arch: os.arch,
    timezone: pickTimezone(Intl.DateTimeFormat().resolvedOptions().timeZone, etcTimezone),
    locale: pickLocale(process.env, systemLocale),
    cpuModel: [cpu.manufacturer, cpu.brand].filter((part) => part !== '').join(' '),
    cpuCores: cpu.cores,
    memoryBytes: mem.total,
  };
}

/** The IANA zone the runtime resolved (TZ, else /etc/localtime), else the name in /etc/timezone. */
export function pickTimezone(intlZone: string | undefined, etcTimezone: string): string {
  if (intlZone) return intlZone;
  return etcTimezone.split('\n', 1)[0]?.trim() ?? '';
}

/**
 * The locale the agent runs with (LC_ALL wins over LANG, as for any program), else the system default:
 * `LANG` in /etc/default/locale (Debian) or /etc/locale.conf (systemd, RHEL).
 */
export function pickLocale(env: NodeJS.ProcessEnv, systemLocaleFile: string): string {
  if (env.LC_ALL) return env.LC_ALL;
  if (env.LANG) return env.LANG;
  const match = /^\s*LANG\s*=\s*["']?([^"'\s#]+)/m.exec(systemLocaleFile);
  return match?.[1] ?? '';
}

/** Both files, the Debian one first: the first `LANG=` found is the system's. */
async function readSystemLocale(): Promise<string> {
  const files = await Promise.all([readOptional('/etc/default/locale'), readOptional('/etc/locale.conf')]);
  return files.join('\n');
}

/** A file's text, or '' when the host has no such file. */
async function readOptional(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    if (hasErrorCode(err, 'ENOENT') || hasErrorCode(err, 'EACCES')) return '';
    throw err;
  }
}

/** The host facts as flat snapshot items, keyed the way the collector compares them. */
export function hostSnapshot(facts: HostFacts): [string, string][] {
  const items: [string, string][] = [
    ['os.distro', facts.distro],
    ['os.release', facts.release],
    ['os.codename', facts.codename],
    ['os.kernel', facts.kernel],
    ['os.arch', facts.arch],
    ['os.timezone', facts.timezone],
  ];
  if (facts.locale !== '') items.push(['os.locale', facts.locale]);
  items.push(
    ['cpu.model', facts.cpuModel],
    ['cpu.cores', String(facts.cpuCores)],
    ['memory.total_bytes', String(facts.memoryBytes)],
  );
  return items;
}
