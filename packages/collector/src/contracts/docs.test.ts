// Examples in the READMEs of the contract, report and connector features are code: each is validated here.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadCollectorConfig } from '../config/load.js';
import { definitionProblems } from './model.js';

const here = (path: string) => new URL(path, import.meta.url);

function blocks(file: URL, info: string): string[] {
  const text = readFileSync(file, 'utf8');
  const found: string[] = [];
  const re = new RegExp(`\`\`\`${info}\\n([\\s\\S]*?)\`\`\``, 'g');
  for (let m = re.exec(text); m; m = re.exec(text)) found.push(m[1] as string);
  return found;
}

describe('README examples', () => {
  it('every contract of the contracts README is a valid definition', () => {
    const contracts = blocks(here('./README.md'), 'json contract');
    expect(contracts.length).toBe(3);
    for (const c of contracts) expect(definitionProblems(JSON.parse(c))).toEqual([]);
  });

  it('every config of the reports and connectors READMEs loads', () => {
    const dir = mkdtempSync(join(tmpdir(), 'vigie-docs-'));
    try {
      const configs = [
        ...blocks(here('../reports/README.md'), 'yaml'),
        ...blocks(here('../connectors/README.md'), 'yaml'),
      ];
      expect(configs.length).toBe(2);
      configs.forEach((yaml, i) => {
        const file = join(dir, `c${i}.yaml`);
        writeFileSync(file, yaml);
        expect(() => loadCollectorConfig(file)).not.toThrow();
      });
      const loaded = loadCollectorConfig(join(dir, 'c0.yaml'));
      expect(loaded.reports).toEqual({ monthly: true, chromium: '/usr/bin/chromium' });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
