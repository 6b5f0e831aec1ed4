// Reads the kernel's mount table (/proc/self/mountinfo, proc(5)) and picks the filesystems worth measuring.

export interface MountEntry {
  /** `major:minor` of the device holding the filesystem. */
  device: string;
  /** The folder of the filesystem mounted here: `/` for a whole filesystem, a sub-folder for a bind mount. */
  root: string;
  mountPoint: string;
  fsType: string;
  source: string;
}

/** Undoes the octal escapes the kernel writes for space, tab, newline and backslash (`\040`...). */
export function unescapeMountField(field: string): string {
  return field.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(Number.parseInt(octal, 8)));
}

/**
 * One entry per line:
 * `id parent major:minor root mount-point options [optional fields...] - fstype source super-options`.
 * Throws on a line without that shape, giving its number: the text is not a mountinfo file.
 */
export function parseMountinfo(text: string): MountEntry[] {
  const entries: MountEntry[] = [];
  const lines = text.split('\n');
  lines.forEach((line, index) => {
    if (line.trim() === '') return;
    const fields = line.split(' ');
    // The optional fields have no fixed count; a lone `-` ends them.
    const separator = fields.indexOf('-', 6);
    const [, , device, root, mountPoint] = fields;
    const fsType = fields[separator + 1];
    const source = fields[separator + 2];
    if (
      separator < 0 ||
      device === undefined ||
      root === undefined ||
      mountPoint === undefined ||
      fsType === undefined ||
      source === undefined
    ) {
      throw new Error(
        `mountinfo line ${index + 1} is not "id parent dev root mount-point ... - type source"`,
      );
    }
    entries.push({
      device,
      root: unescapeMountField(root),
      mountPoint: unescapeMountField(mountPoint),
      fsType,
      source: unescapeMountField(source),
    });
  });
  return entries;
}

export interface MountSelection {
  mounts: string[] | undefined;
  excludeMounts: readonly string[];
  excludeFsTypes: readonly string[];
}

export interface SelectedMounts {
  selected: MountEntry[];
  /** Mount points listed in `mounts` that are not mounted. */
  missing: string[];
}

/**
 * The mounts to measure, in mount-point order:
 * - a mount point mounted twice shows only the later mount, so only that one is kept;
 * - `excludeMounts` are dropped;
 * - `mounts`, when given, keeps exactly those, whatever their type: naming a mount is asking for it;
 * - otherwise excluded types are dropped and bind mounts of the same device and folder, being one
 *   filesystem, are kept once under their shortest mount point.
 */
export function selectMounts(entries: readonly MountEntry[], selection: MountSelection): SelectedMounts {
  const visible = new Map<string, MountEntry>();
  for (const entry of entries) {
    visible.delete(entry.mountPoint);
    visible.set(entry.mountPoint, entry);
  }
  const excludedTypes = new Set(selection.excludeFsTypes);
  const excludedMounts = new Set(selection.excludeMounts);
  const wanted = selection.mounts === undefined ? undefined : new Set(selection.mounts);
  const kept = [...visible.values()].filter(
    (entry) =>
      !excludedMounts.has(entry.mountPoint) &&
      (wanted === undefined ? !excludedTypes.has(entry.fsType) : wanted.has(entry.mountPoint)),
  );
  const selected = wanted === undefined ? dropBindDuplicates(kept) : kept;
  selected.sort((a, b) => (a.mountPoint < b.mountPoint ? -1 : a.mountPoint > b.mountPoint ? 1 : 0));
  const found = new Set(selected.map((entry) => entry.mountPoint));
  const missing = [...(wanted ?? [])].filter((mount) => !found.has(mount) && !excludedMounts.has(mount));
  return { selected, missing };
}

function dropBindDuplicates(entries: readonly MountEntry[]): MountEntry[] {
  const byFilesystem = new Map<string, MountEntry>();
  for (const entry of entries) {
    const key = `${entry.device} ${entry.root}`;
    const seen = byFilesystem.get(key);
    if (seen === undefined || entry.mountPoint.length < seen.mountPoint.length) byFilesystem.set(key, entry);
  }
  return [...byFilesystem.values()];
}
