// Compares kernel releases (`6.1.0-21-amd64`, `5.14.0-427.16.1.el9_4.x86_64`) the way a human reads them.

/**
 * Negative when a < b. Digit runs compare as numbers, other runs as text, so `6.1.0-21` > `6.1.0-9`.
 * A release that is a prefix of the other is older (`6.1.0` < `6.1.0-1`).
 */
export function compareKernelReleases(a: string, b: string): number {
  const pa = a.match(/\d+|\D+/g) ?? [];
  const pb = b.match(/\d+|\D+/g) ?? [];
  for (let i = 0; i < Math.min(pa.length, pb.length); i++) {
    const x = pa[i] as string;
    const y = pb[i] as string;
    if (x === y) continue;
    const nx = /^\d/.test(x);
    const ny = /^\d/.test(y);
    if (nx && ny) return Number(x) - Number(y) || x.length - y.length;
    if (nx !== ny) return nx ? 1 : -1;
    return x < y ? -1 : 1;
  }
  return pa.length - pb.length;
}

/** The releases of the kernels in a /boot listing: `vmlinuz-<release>`, rescue images excluded. */
export function installedKernels(bootEntries: readonly string[]): string[] {
  return bootEntries
    .filter((name) => name.startsWith('vmlinuz-') && !name.includes('-rescue-'))
    .map((name) => name.slice('vmlinuz-'.length))
    .filter((release) => release !== '');
}

export type KernelHint =
  | { kind: 'newer'; running: string; newest: string }
  | { kind: 'current'; running: string }
  | { kind: 'not-installed'; running: string };

/**
 * A newer kernel than the running one is installed: the machine runs old code until it reboots. Only
 * meaningful when the running kernel came from this /boot (not a container sharing its host's kernel, not
 * a VM booted on an external kernel): otherwise `not-installed`, and no conclusion is drawn.
 */
export function kernelHint(running: string, installed: readonly string[]): KernelHint {
  if (!installed.includes(running)) return { kind: 'not-installed', running };
  const newest = installed.reduce((a, b) => (compareKernelReleases(a, b) >= 0 ? a : b));
  return compareKernelReleases(newest, running) > 0
    ? { kind: 'newer', running, newest }
    : { kind: 'current', running };
}
