// The collector config examples of the READMEs are code: each YAML block that configures the collector must
// load (TLS files left out: the example's paths do not exist here).
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { loadCollectorConfig } from './load.js';

const ROOT = fileURLToPath(new URL('../../../../', import.meta.url));
const COLLECTOR_KEYS = ['listen', 'tickets', 'sla', 'connectors', 'maintenance', 'rules', 'store', 'metrics'];

function collectorBlocks(file: string): Array<Record<string, unknown>> {
  const text = readFileSync(join(ROOT, file), 'utf8');
  return [...text.matchAll(/```yaml\n([\s\S]*?)```/g)]
    .map((m) => parse(m[1] ?? '') as unknown)
    .filter((y): y is Record<string, unknown> => typeof y === 'object' && y !== null && !Array.isArray(y))
    .filter(
      (y) => Object.keys(y).some((k) => COLLECTOR_KEYS.includes(k)) && !('checks' in y) && !('calendar' in y),
    );
}

describe('collector config examples in the READMEs', () => {
  const dir = mkdtempSync(join(tmpdir(), 'vigie-readme-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  for (const file of ['README.md', 'packages/collector/src/connectors/README.md']) {
    it(`loads every collector example of ${file}`, () => {
      const blocks = collectorBlocks(file);
      expect(blocks.length).toBeGreaterThan(0);
      blocks.forEach((block, i) => {
        const { tls: _tls, ...rest } = block;
        const path = join(dir, `${file.replace(/\W/g, '_')}-${i}.yaml`);
        writeFileSync(path, stringify(rest));
        expect(() => loadCollectorConfig(path), `${file} block ${i}`).not.toThrow();
      });
    });
  }

  it('covers the e-mail connector and the maintenance settings', () => {
    const all = collectorBlocks('README.md');
    const connectors = all.flatMap((b) => (b.connectors as Array<{ kind: string }> | undefined) ?? []);
    expect(connectors.map((c) => c.kind)).toContain('email');
    expect(all.some((b) => 'maintenance' in b)).toBe(true);
  });
});
