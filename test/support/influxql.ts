// Reading back what Vigie wrote to InfluxDB 1.x, for exact-count assertions.
export interface StatusPoint {
  check: string;
  time: number;
}

/** Every `vigie_check` point of a host: one per result the collector accepted (time in ms). */
export async function statusPoints(influxUrl: string, db: string, host: string): Promise<StatusPoint[]> {
  const q = `SELECT "status_code" FROM "vigie_check" WHERE "host" = '${host}' GROUP BY "check"`;
  const r = await fetch(`${influxUrl}/query?db=${db}&epoch=ms&q=${encodeURIComponent(q)}`);
  if (!r.ok) throw new Error(`InfluxQL query failed: HTTP ${r.status} ${await r.text()}`);
  const j = (await r.json()) as {
    results: Array<{
      error?: string;
      series?: Array<{ tags: { check: string }; values: Array<[number, number]> }>;
    }>;
  };
  if (j.results[0]?.error) throw new Error(`InfluxQL: ${j.results[0].error}`);
  return (j.results[0]?.series ?? []).flatMap((s) =>
    s.values.map(([time]) => ({ check: s.tags.check, time })),
  );
}
