// Every YAML example in every README and the sample agent config is code (issue 15): agent configs and check
// entries go through `vigie-agent validate`, collector configs through the collector's config loader. A doc
// that drifts from the schema fails here, naming the file and the example.
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { promisify } from 'node:util';
import { CollectorConfigSchema, loadCollectorConfig } from '@vigie/collector';
import { validate } from '@vigie/shared';
import { describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { ensureBinary } from '../support/packages.js';
import { AGENT_CLI, ROOT } from '../support/process.js';

const exec = promisify(execFile);
const work = mkdtempSync(join(tmpdir(), 'vigie-docs-'));

interface Example {
  file: string;
  line: number;
  text: string;
}

/** Markdown files of the repository (not dependencies, not build output). */
function markdownFiles(dir = ROOT): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === 'node_modules' || entry.name === 'dist' || entry.name.startsWith('.')) continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...markdownFiles(path));
    else if (entry.name.endsWith('.md')) out.push(path);
  }
  return out;
}

function yamlExamples(file: string): Example[] {
  return fencedExamples(file, /^```ya?ml\s*$/);
}

function fencedExamples(file: string, opening: RegExp): Example[] {
  const lines = readFileSync(file, 'utf8').split('\n');
  const out: Example[] = [];
  let start = -1;
  lines.forEach((line, i) => {
    if (start < 0 && opening.test(line)) start = i + 1;
    else if (start >= 0 && /^```\s*$/.test(line)) {
      out.push({ file: relative(ROOT, file), line: start, text: lines.slice(start, i).join('\n') });
      start = -1;
    }
  });
  return out;
}

async function agentValidate(config: object, name: string): Promise<{ code: number; output: string }> {
  const path = join(work, `${name.replace(/[^A-Za-z0-9]+/g, '_')}.yaml`);
  writeFileSync(path, stringify(config));
  try {
    const { stdout, stderr } = await exec(process.execPath, [AGENT_CLI, 'validate', '--config', path]);
    return { code: 0, output: stdout + stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, output: e.stdout + e.stderr };
  }
}

const COLLECTOR_KEYS = new Set(Object.keys(CollectorConfigSchema.properties));
const HOST = { name: 'docs-example', environment: 'production', application: 'docs' };

/** The collector's own checks of a config fragment: the loader, and the schema for `tls` (whose files it reads). */
function collectorProblems(fragment: Record<string, unknown>, where: string): string[] {
  const { tls, ...rest } = fragment;
  const problems: string[] = [];
  if (tls !== undefined) {
    const checked = validate(CollectorConfigSchema.properties.tls, tls);
    if (!checked.ok) problems.push(...checked.errors.map((e) => `${where} /tls${e}`));
  }
  const file = join(work, `collector-${problems.length}-${Math.random().toString(36).slice(2)}.yaml`);
  writeFileSync(file, stringify({ dataDir: work, ...rest }));
  try {
    loadCollectorConfig(file);
  } catch (err) {
    problems.push(`${where}: ${(err as Error).message}`);
  }
  return problems;
}

describe('YAML examples in the documentation', () => {
  const examples = markdownFiles().flatMap(yamlExamples);

  it('are found where they are expected (every check README has one)', () => {
    const readmes = new Set(examples.map((e) => e.file));
    expect(readmes).toContain('README.md');
    expect(readmes).toContain('packages/agent/src/checks/nagios/README.md');
    expect([...readmes].filter((f) => f.startsWith('packages/agent/src/checks/')).length).toBeGreaterThan(25);
  });

  it('validate: check entries and agent configs through vigie-agent validate, collector configs by its loader', async () => {
    const problems: string[] = [];
    const entries: Array<{ entry: Record<string, unknown>; where: string }> = [];
    const agentConfigs: Array<{ config: Record<string, unknown>; where: string }> = [];
    for (const ex of examples) {
      const where = `${ex.file}:${ex.line}`;
      let value: unknown;
      try {
        value = parse(ex.text);
      } catch (err) {
        problems.push(`${where}: not YAML: ${(err as Error).message.split('\n')[0]}`);
        continue;
      }
      if (Array.isArray(value)) {
        for (const entry of value) entries.push({ entry: entry as Record<string, unknown>, where });
      } else if (typeof value === 'object' && value !== null && 'checks' in value) {
        agentConfigs.push({ config: { host: HOST, ...(value as object) }, where });
      } else if (typeof value === 'object' && value !== null && 'calendar' in value) {
        problems.push(...collectorProblems({ sla: value }, `${where} (an SLA contract)`));
      } else if (
        typeof value === 'object' &&
        value !== null &&
        Object.keys(value).every((k) => COLLECTOR_KEYS.has(k))
      ) {
        problems.push(...collectorProblems(value as Record<string, unknown>, where));
        // Alternatives shown commented out (`# metrics: { kind: influx-v1, ... }`) are examples too.
        for (const m of ex.text.matchAll(/^# (\w+): (\{.*\})\s*$/gm)) {
          problems.push(...collectorProblems(parse(`${m[1]}: ${m[2]}`), `${where} (commented ${m[1]})`));
        }
      } else {
        problems.push(`${where}: a YAML example this test does not know how to validate: teach it`);
      }
    }
    // All check entries of all READMEs in one config (ids made unique), validated by the real CLI once.
    const combined = await agentValidate(
      { host: HOST, checks: entries.map((e, i) => ({ ...e.entry, id: `e${i}-${String(e.entry.id)}` })) },
      'check-entries',
    );
    if (combined.code !== 0) {
      // Name each README whose entry is at fault: `/checks/<n>/...` is entry n.
      const named = combined.output.replace(
        /\/checks\/(\d+)/g,
        (_m, n) => `${entries[Number(n)]?.where} entry`,
      );
      problems.push(`check entries: ${named}`);
    }
    for (const { config, where } of agentConfigs) {
      const r = await agentValidate(config, where);
      if (r.code !== 0) problems.push(`${where}: ${r.output}`);
    }
    expect(entries.length).toBeGreaterThanOrEqual(30);
    expect(problems).toEqual([]);
  });

  it('the sample agent config validates as it is', async () => {
    const sample = join(ROOT, 'packages/agent/config/sample-agent.yaml');
    const r = await exec(process.execPath, [AGENT_CLI, 'validate', '--config', sample]);
    expect(r.stdout).toMatch(/valid \(\d+ checks\)/);
  });
});

describe('load balancer examples in the documentation', () => {
  it('the HAProxy configuration passes `haproxy -c`', async () => {
    const examples = markdownFiles().flatMap((f) => fencedExamples(f, /^```haproxy\s*$/));
    expect(examples.length).toBeGreaterThan(0);
    const haproxy = await ensureBinary('haproxy', 'haproxy');
    for (const ex of examples) {
      const file = join(work, `haproxy-${ex.line}.cfg`);
      writeFileSync(file, `${ex.text}\n`);
      const r = await exec(haproxy, ['-c', '-f', file]).catch((err: { stdout: string; stderr: string }) => ({
        stdout: err.stdout,
        stderr: `${ex.file}:${ex.line}: ${err.stderr}`,
        failed: true,
      }));
      expect('failed' in r ? r.stderr : '', `${ex.file}:${ex.line}`).toBe('');
      expect(r.stdout).toMatch(/Configuration file is valid/);
    }
  });
});
