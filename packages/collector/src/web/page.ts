// Serves the NOC page: one static HTML file that talks to the REST API with the operator's API key.
import { readFileSync } from 'node:fs';

// The static folder sits at the same depth under src/ and dist/, so one relative path serves both.
const PAGE_URL = new URL('../../src/web/static/index.html', import.meta.url);
let cached: string | undefined;

export function nocPage(): string {
  cached ??= readFileSync(PAGE_URL, 'utf8');
  return cached;
}
