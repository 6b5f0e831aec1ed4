// Reads the host facts that make up the fingerprint: OS, kernel, timezone, CPU and memory.
import si from 'systeminformation';

export interface HostFacts {
  distro: string;
  release: string;
  codename: string;
  kernel: string;
  arch: string;
  timezone: string;
  cpuModel: string;
  cpuCores: number;
  memoryBytes: number;
}

export async function readHostFacts(): Promise<HostFacts> {
  const [os, cpu, mem] = await Promise.all([si.osInfo(), si.cpu(), si.mem()]);
  const time = si.time();
  return {
    distro: os.distro,
    release: os.release,
    codename: os.codename,
    kernel: os.kernel,
    arch: os.arch,
    // The IANA name (`Europe/Paris`) when the host has one, else the offset (`UTC+0100`).
    timezone: time.timezoneName || time.timezone,
    cpuModel: [cpu.manufacturer, cpu.brand].filter((part) => part !== '').join(' '),
    cpuCores: cpu.cores,
    memoryBytes: mem.total,
  };
}

/** The host facts as flat snapshot items, keyed the way the collector compares them. */
export function hostSnapshot(facts: HostFacts): Record<string, string> {
  return {
    'os.distro': facts.distro,
    'os.release': facts.release,
    'os.codename': facts.codename,
    'os.kernel': facts.kernel,
    'os.arch': facts.arch,
    'os.timezone': facts.timezone,
    'cpu.model': facts.cpuModel,
    'cpu.cores': String(facts.cpuCores),
    'memory.total_bytes': String(facts.memoryBytes),
  };
}
