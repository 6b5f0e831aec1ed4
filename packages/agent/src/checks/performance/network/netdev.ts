// Reads the kernel's per-interface counters (/proc/net/dev, proc(5)) and picks the interfaces to watch.

/** Cumulative counters of one interface since it was created. */
export interface InterfaceCounters {
  rxBytes: number;
  rxErrors: number;
  rxDropped: number;
  txBytes: number;
  txErrors: number;
  txDropped: number;
}

/**
 * Two header lines, then `name: rx bytes packets errs drop fifo frame compressed multicast tx bytes packets
 * errs drop fifo colls carrier compressed`. Throws on a line without the 16 counters.
 */
export function parseNetDev(text: string): Record<string, InterfaceCounters> {
  const interfaces: Record<string, InterfaceCounters> = {};
  text.split('\n').forEach((line, index) => {
    if (line.trim() === '' || line.includes('|')) return;
    // Interface names cannot hold a colon, so the first one ends the name.
    const colon = line.indexOf(':');
    const values = line
      .slice(colon + 1)
      .trim()
      .split(/\s+/)
      .map(Number);
    if (colon < 0 || values.length < 16 || values.some((v) => !Number.isFinite(v))) {
      throw new Error(`net/dev line ${index + 1} is not "name: 16 counters"`);
    }
    const at = (i: number) => values[i] as number;
    interfaces[line.slice(0, colon).trim()] = {
      rxBytes: at(0),
      rxErrors: at(2),
      rxDropped: at(3),
      txBytes: at(8),
      txErrors: at(10),
      txDropped: at(11),
    };
  });
  return interfaces;
}

export interface InterfaceSelection {
  /** Exactly these interfaces, when given; `excludeInterfaces` is then not used. */
  interfaces: readonly string[] | undefined;
  excludeInterfaces: readonly string[];
}

export interface SelectedInterfaces {
  selected: Record<string, InterfaceCounters>;
  /** Interfaces listed in `interfaces` that do not exist. */
  missing: string[];
}

export function selectInterfaces(
  all: Readonly<Record<string, InterfaceCounters>>,
  selection: InterfaceSelection,
): SelectedInterfaces {
  const { interfaces } = selection;
  if (interfaces !== undefined) {
    const selected = Object.fromEntries(Object.entries(all).filter(([name]) => interfaces.includes(name)));
    return { selected, missing: interfaces.filter((name) => !(name in all)) };
  }
  const excluded = new Set(selection.excludeInterfaces);
  return {
    selected: Object.fromEntries(Object.entries(all).filter(([name]) => !excluded.has(name))),
    missing: [],
  };
}
