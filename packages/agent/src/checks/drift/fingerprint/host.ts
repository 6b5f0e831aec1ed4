// Reads the host facts that make up the fingerprint: OS, kernel, time zone, locale, CPU and memory.
import { readdir, readFile, readlink } from 'node:fs/promises';
import { arch, cpus, release, totalmem } from 'node:os';
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
  // Read from the files themselves rather than through systeminformation, which costs ~18 MB of resident memory
  // and a shell per call; the values are computed the way it computed them, so fingerprints do not drift.
  const [osRelease, cpuinfo, etcTimezone, systemLocale] = await Promise.all([
    readOsRelease(),
    readOptional('/proc/cpuinfo'),
    readOptional('/etc/timezone'),
    readSystemLocale(),
  ]);
  const distro = parseOsRelease(osRelease);
  const cpu = cpuModel(cpuinfo, cpus()[0]?.model ?? '');
  return {
    ...distro,
    kernel: release(),
    arch: arch(),
    timezone: pickTimezone(zoneOfHost(process.env.TZ, await readLocaltimeLink()), etcTimezone),
    locale: pickLocale(process.env, systemLocale),
    cpuModel: [cpu.manufacturer, cpu.brand].filter((part) => part !== '').join(' '),
    cpuCores: cpus().length,
    memoryBytes: totalmem(),
  };
}

/** /etc/*-release (sorted, as a shell glob), then /usr/lib/os-release: later keys win. */
async function readOsRelease(): Promise<string> {
  let names: string[];
  try {
    names = (await readdir('/etc')).filter((n) => n.endsWith('-release')).sort();
  } catch (err) {
    if (!hasErrorCode(err, 'ENOENT') && !hasErrorCode(err, 'EACCES')) throw err;
    names = [];
  }
  const texts = await Promise.all([
    ...names.map((n) => readOptional(`/etc/${n}`)),
    readOptional('/usr/lib/os-release'),
  ]);
  return texts.join('\n');
}

/** distro, release and codename from os-release text (DISTRIB_* of lsb-release first). */
export function parseOsRelease(text: string): { distro: string; release: string; codename: string } {
  const fields: Record<string, string> = {};
  for (const line of text.split('\n')) {
    if (!line.includes('=')) continue;
    const [key = '', value = ''] = line.split('=');
    fields[key.trim().toUpperCase()] = value.trim();
  }
  const unquote = (v: string | undefined) => (v ?? '').replace(/"/g, '');
  const distro = unquote(fields.DISTRIB_ID || fields.NAME || 'unknown');
  let version = unquote(fields.VERSION);
  let codename = unquote(fields.DISTRIB_CODENAME || fields.VERSION_CODENAME);
  const pretty = unquote(fields.PRETTY_NAME);
  if (pretty.startsWith(`${distro} `)) version = pretty.replace(`${distro} `, '').trim();
  if (version.includes('(')) {
    codename = (version.split('(')[1] ?? '').replace(/[()]/g, '').trim();
    version = (version.split('(')[0] ?? '').trim();
  }
  const releaseName = unquote(version || fields.DISTRIB_RELEASE || fields.VERSION_ID || 'unknown');
  return { distro, release: releaseName, codename };
}

const MANUFACTURERS: Array<[string, string]> = [
  ['intel', 'Intel'],
  ['amd', 'AMD'],
  ['qemu', 'QEMU'],
  ['hygon', 'Hygon'],
  ['centaur', 'WinChip/Via'],
  ['vmware', 'VMware'],
  ['tcg', 'QEMU'],
  ['apple', 'Apple'],
  ['sifive', 'SiFive'],
  ['thead', 'T-Head'],
  ['andestech', 'Andes Technology'],
];

/** The CPU's manufacturer and brand from the first `model name` of /proc/cpuinfo, tidied. */
export function cpuModel(cpuinfo: string, fallback: string): { manufacturer: string; brand: string } {
  const line = /^model name\s*:\s*(.*)$/im.exec(cpuinfo)?.[1] ?? fallback;
  let brand = (line.split('@')[0] ?? '').trim();
  if (brand.includes('Unknown')) brand = (brand.split('Unknown')[0] ?? '').trim();
  brand = brand
    .replace(/\(R\)+/g, '®')
    .replace(/\(TM\)+/g, '™')
    .replace(/\(C\)+/g, '©')
    .replace(/CPU+/g, '')
    .replace(/\s+/g, ' ')
    .trim();
  const lower = brand.toLowerCase();
  let manufacturer = brand;
  for (const [needle, name] of MANUFACTURERS) if (lower.includes(needle)) manufacturer = name;
  if (brand.includes('Xen')) manufacturer = 'Xen Hypervisor';
  return { manufacturer, brand: brand.split(' ').slice(1).join(' ') };
}

// The zone is read as the runtime resolves it (TZ, else the /etc/localtime link) without Intl, which would load
// ICU's data (about 8 MB resident) for one name. Intl names the UTC aliases "UTC": so does this.
const UTC_ALIASES = new Set(
  ['UTC', 'UCT', 'Universal', 'Zulu', 'GMT', 'GMT0', 'GMT+0', 'GMT-0', 'Greenwich'].flatMap((z) => [
    z,
    `Etc/${z}`,
  ]),
);

/** The IANA zone named by TZ (`:Europe/Paris`, a zoneinfo path) or by the /etc/localtime link, else undefined. */
export function zoneOfHost(tz: string | undefined, localtimeLink: string | undefined): string | undefined {
  const named = tz !== undefined && tz !== '' ? tz.replace(/^:/, '') : localtimeLink;
  if (named === undefined) return undefined;
  const zone = named.includes('zoneinfo/') ? named.slice(named.lastIndexOf('zoneinfo/') + 9) : named;
  if (zone === '' || zone.startsWith('/')) return undefined;
  return UTC_ALIASES.has(zone) ? 'UTC' : zone;
}

async function readLocaltimeLink(): Promise<string | undefined> {
  try {
    return await readlink('/etc/localtime');
  } catch (err) {
    if (hasErrorCode(err, 'ENOENT') || hasErrorCode(err, 'EINVAL') || hasErrorCode(err, 'EACCES'))
      return undefined;
    throw err;
  }
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
