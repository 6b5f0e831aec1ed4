// Reads `borg list --json <repository>`: the archives of the repository with their creation times.
export interface BorgArchive {
  name: string;
  timeMs: number;
}

type Json = Record<string, unknown>;
const isObject = (value: unknown): value is Json => typeof value === 'object' && value !== null;

/**
 * The archives of the JSON borg printed; throws when it is not a repository listing. Borg 1.x prints
 * times without a zone, in the local time of the borg process: the agent's own, since it runs borg with
 * its environment; JavaScript reads such times as local time too. A time with an offset is read as is.
 */
export function parseArchives(json: string): BorgArchive[] {
  const data: unknown = JSON.parse(json);
  if (!isObject(data) || !Array.isArray(data.archives)) {
    throw new Error('borg list --json printed no archive list');
  }
  return data.archives.map((item: unknown, index) => {
    const time = isObject(item) ? (item.time ?? item.start) : undefined;
    if (!isObject(item) || typeof item.name !== 'string' || typeof time !== 'string') {
      throw new Error(`archive ${index + 1} has no name or time`);
    }
    const timeMs = Date.parse(time);
    if (Number.isNaN(timeMs)) throw new Error(`archive ${index + 1} has an unreadable time`);
    return { name: item.name, timeMs };
  });
}

/** The archive created last; on a tie (borg times are whole seconds), the one borg lists last. */
export function latestArchive(archives: readonly BorgArchive[]): BorgArchive | undefined {
  let latest: BorgArchive | undefined;
  for (const archive of archives)
    if (latest === undefined || archive.timeMs >= latest.timeMs) latest = archive;
  return latest;
}
