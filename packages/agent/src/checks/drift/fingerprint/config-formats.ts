// Reads the keys and values of the configuration formats the fingerprint knows, as flat `key -> value` pairs.
import { basename, extname } from 'node:path';
import { parseAllDocuments } from 'yaml';
import type { ConfigFormat } from './options.js';

export type ParsedFormat = Exclude<ConfigFormat, 'auto'>;
/** In file order; a key set several times (`extension=` in php.ini) is numbered `key[0]`, `key[1]`... */
export type ConfigEntries = [key: string, value: string][];

/** A file that is not in the format it was read as. The message names the format and a line, never content. */
export class ConfigSyntaxError extends Error {
  override name = 'ConfigSyntaxError';
}

/** Nesting deeper than this is not configuration; the subtree is kept as one value (hashed as a secret). */
export const MAX_DEPTH = 32;

/** The format of a file from its name; a `.conf`/`.cnf`/`.cfg` file is INI if it has `[sections]`. */
export function detectFormat(path: string, text: string): ParsedFormat {
  const name = basename(path).toLowerCase();
  const extension = extname(name);
  if (name === '.env' || name.startsWith('.env.') || extension === '.env') return 'env';
  if (extension === '.json') return 'json';
  if (extension === '.yaml' || extension === '.yml') return 'yaml';
  if (extension === '.properties') return 'properties';
  if (extension === '.ini') return 'ini';
  if (['.conf', '.cnf', '.cfg'].includes(extension)) {
    // `[ \t]`, not `\s`: a pattern that may span lines would rescan a large file from every line.
    if (/^[ \t]*\[[^\]\n]+\][ \t]*\r?$/m.test(text)) return 'ini';
    // Blocks (`http {`): nginx, Apache, HAProxy... are not key=value files; hash them only.
    if (/[{}][ \t]*\r?$/m.test(text) || /^[ \t]*</m.test(text)) return 'hash';
    return 'keyvalue';
  }
  return 'hash';
}

export function parseConfig(format: ParsedFormat, text: string): ConfigEntries {
  const source = text.startsWith('\uFEFF') ? text.slice(1) : text;
  switch (format) {
    case 'env':
      return numberRepeatedKeys(parseEnv(source));
    case 'ini':
      return numberRepeatedKeys(parseIni(source));
    case 'properties':
      return numberRepeatedKeys(parseProperties(source));
    case 'keyvalue':
      return numberRepeatedKeys(parseKeyValue(source));
    case 'json':
      return parseJson(source);
    case 'yaml':
      return parseYaml(source);
    case 'hash':
      return [];
  }
}

/** `.env` (dotenv, docker `--env-file`): `[export] KEY=value`, quotes, `#` comments, multi-line quoted values. */
export function parseEnv(text: string): ConfigEntries {
  const entries: ConfigEntries = [];
  const lines = text.split(/\r?\n/);
  for (let index = 0; index < lines.length; index++) {
    const match = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_.-]*)\s*=\s?(.*)$/.exec(lines[index] ?? '');
    if (!match) continue;
    const key = match[1] ?? '';
    const rest = match[2] ?? '';
    const quote = rest.trimStart()[0];
    if (quote === '"' || quote === "'" || quote === '`') {
      // The value runs to the closing quote, across lines if need be (each line scanned once).
      const parts = [rest.trimStart().slice(1)];
      let end = closingQuote(parts[0] ?? '', quote);
      while (end < 0 && index + 1 < lines.length) {
        const next = lines[++index] ?? '';
        parts.push(next);
        end = closingQuote(next, quote);
      }
      if (end >= 0) parts[parts.length - 1] = (parts[parts.length - 1] ?? '').slice(0, end);
      const raw = parts.join('\n');
      entries.push([key, quote === '"' ? unescapeDoubleQuoted(raw) : raw]);
    } else {
      entries.push([key, stripInlineComment(rest, '#')]);
    }
  }
  return entries;
}

/**
 * INI (php.ini, my.cnf, .ini): `[section]` prefixes its keys; `=` or `:`; a bare key has an empty value. A line
 * indented deeper than its key continues the value (Python's configparser), so a wrapped PEM or base64 value
 * stays with its key instead of turning into a key name, which is never hashed.
 */
export function parseIni(text: string): ConfigEntries {
  const entries: ConfigEntries = [];
  let section = '';
  let current: { entry: [string, string]; indent: number } | undefined;
  for (const line of text.split(/\r?\n/)) {
    const trimmed = line.trim();
    if (trimmed === '' || trimmed.startsWith(';') || trimmed.startsWith('#')) continue;
    const indent = line.length - line.trimStart().length;
    if (current !== undefined && indent > current.indent) {
      const [, value] = current.entry;
      current.entry[1] = value === '' ? trimmed : `${value}\n${trimmed}`;
      continue;
    }
    const header = /^\[([^\]]*)\]/.exec(trimmed);
    if (header) {
      section = `${(header[1] ?? '').trim()}.`;
      current = undefined;
      continue;
    }
    const separator = firstIndexOf(trimmed, ['=', ':']);
    const entry: [string, string] =
      separator < 0
        ? [`${section}${trimmed}`, '']
        : [
            `${section}${trimmed.slice(0, separator).trim()}`,
            unquote(stripInlineComment(trimmed.slice(separator + 1), ';#')),
          ];
    entries.push(entry);
    current = { entry, indent };
  }
  return entries;
}

/** Java `.properties`: `key=value`, `key: value` or `key value`; `#`/`!` comments; `\` continues a line. */
export function parseProperties(text: string): ConfigEntries {
  const entries: ConfigEntries = [];
  const lines = text.split(/\r?\n/);
  for (let index = 0; index < lines.length; index++) {
    let line = (lines[index] ?? '').replace(/^\s+/, '');
    if (line === '' || line.startsWith('#') || line.startsWith('!')) continue;
    const parts: string[] = [];
    while (endsWithOddBackslashes(line) && index + 1 < lines.length) {
      parts.push(line.slice(0, -1));
      line = (lines[++index] ?? '').replace(/^\s+/, '');
    }
    parts.push(line);
    const logical = parts.join('');
    let end = 0;
    while (end < logical.length && !/[=:\s]/.test(logical[end] ?? '')) end += logical[end] === '\\' ? 2 : 1;
    const key = logical.slice(0, end);
    const value = logical.slice(end).replace(/^\s*[=:]?\s*/, '');
    entries.push([unescapeProperties(key), unescapeProperties(value)]);
  }
  return entries;
}

/** `key = value` or `key value` per line (postgresql.conf, sysctl.conf, redis.conf, sshd_config...). */
export function parseKeyValue(text: string): ConfigEntries {
  const entries: ConfigEntries = [];
  for (const line of text.split(/\r?\n/)) {
    const trimmed = line.trim();
    if (trimmed === '' || trimmed.startsWith('#') || trimmed.startsWith(';')) continue;
    const match = /^([^\s=]+)(?:\s*=\s*|\s+|$)(.*)$/.exec(trimmed);
    if (!match) continue;
    entries.push([match[1] ?? '', unquote(stripInlineComment(match[2] ?? '', '#'))]);
  }
  return entries;
}

export function parseJson(text: string): ConfigEntries {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    // JSON.parse quotes the text around the error, which may be a secret: keep none of its message.
    throw new ConfigSyntaxError('invalid json', { cause: err instanceof Error ? err.name : undefined });
  }
  return flatten(value);
}

export function parseYaml(text: string): ConfigEntries {
  const documents = parseAllDocuments(text, { prettyErrors: false });
  if (!Array.isArray(documents)) return []; // an empty stream
  const entries: ConfigEntries = [];
  documents.forEach((document, index) => {
    const error = document.errors[0];
    if (error !== undefined) {
      // YAML errors quote the offending source line: report its position only.
      const line = lineOf(text, error.pos[0]);
      throw new ConfigSyntaxError(`invalid yaml (line ${line})`);
    }
    let value: unknown;
    try {
      value = document.toJS({ maxAliasCount: 100 });
    } catch (err) {
      // An unresolved alias, or an alias bomb: the message may name source text, keep none of it.
      throw new ConfigSyntaxError('invalid yaml (aliases)', {
        cause: err instanceof Error ? err.name : undefined,
      });
    }
    // Several documents (`---`) are numbered like an array; one document is the file itself.
    entries.push(...flatten(value, documents.length > 1 ? `[${index}]` : ''));
  });
  return entries;
}

/** Objects become dotted keys, arrays `[i]`; empty containers stay visible as `{}` and `[]`. */
export function flatten(value: unknown, prefix = '', depth = 0): ConfigEntries {
  if (depth > MAX_DEPTH) return [[prefix, JSON.stringify(value) ?? '']];
  if (Array.isArray(value)) {
    if (value.length === 0) return [[prefix, '[]']];
    return value.flatMap((item, index) => flatten(item, `${prefix}[${index}]`, depth + 1));
  }
  if (value !== null && typeof value === 'object') {
    const members = Object.entries(value);
    if (members.length === 0) return [[prefix, '{}']];
    return members.flatMap(([key, item]) =>
      flatten(item, prefix === '' ? key : `${prefix}.${key}`, depth + 1),
    );
  }
  return [[prefix, value === null || value === undefined ? 'null' : String(value)]];
}

function numberRepeatedKeys(entries: ConfigEntries): ConfigEntries {
  const counts = new Map<string, number>();
  for (const [key] of entries) counts.set(key, (counts.get(key) ?? 0) + 1);
  const seen = new Map<string, number>();
  return entries.map(([key, value]) => {
    if ((counts.get(key) ?? 0) < 2) return [key, value];
    const index = seen.get(key) ?? 0;
    seen.set(key, index + 1);
    return [`${key}[${index}]`, value];
  });
}

function closingQuote(text: string, quote: string): number {
  for (let i = 0; i < text.length; i++) {
    if (quote === '"' && text[i] === '\\') i++;
    else if (text[i] === quote) return i;
  }
  return -1;
}

function unescapeDoubleQuoted(text: string): string {
  return text.replace(/\\([nrt"\\$])/g, (_, c: string) =>
    c === 'n' ? '\n' : c === 'r' ? '\r' : c === 't' ? '\t' : c,
  );
}

/** Drops ` # comment` (a comment mark after white space), not a `#` inside a value such as a colour. */
function stripInlineComment(text: string, marks: string): string {
  const trimmed = text.trim();
  if (/^["']/.test(trimmed)) return trimmed;
  for (let i = 1; i < trimmed.length; i++) {
    if (marks.includes(trimmed[i] ?? '') && /\s/.test(trimmed[i - 1] ?? ''))
      return trimmed.slice(0, i).trim();
  }
  return trimmed;
}

/** `'value'` or `"value"` without its quotes; `''` inside single quotes is one quote (postgresql.conf). */
function unquote(text: string): string {
  const quote = text[0];
  if ((quote === '"' || quote === "'") && text.length >= 2) {
    const end = quote === "'" ? closingSingleQuote(text) : closingQuote(text.slice(1), '"') + 1;
    if (end > 0) {
      const inner = text.slice(1, end);
      return quote === "'" ? inner.replace(/''/g, "'") : unescapeDoubleQuoted(inner);
    }
  }
  return text;
}

function closingSingleQuote(text: string): number {
  for (let i = 1; i < text.length; i++) {
    if (text[i] !== "'") continue;
    if (text[i + 1] === "'") i++;
    else return i;
  }
  return -1;
}

const PROPERTIES_ESCAPES: Record<string, string> = { t: '\t', n: '\n', r: '\r', f: '\f' };

function unescapeProperties(text: string): string {
  return text.replace(/\\(u[0-9a-fA-F]{4}|.)/g, (_, sequence: string) => {
    if (sequence.length === 5) return String.fromCharCode(Number.parseInt(sequence.slice(1), 16));
    return PROPERTIES_ESCAPES[sequence] ?? sequence;
  });
}

function endsWithOddBackslashes(line: string): boolean {
  const trailing = /\\+$/.exec(line)?.[0].length ?? 0;
  return trailing % 2 === 1;
}

function firstIndexOf(text: string, marks: readonly string[]): number {
  const found = marks.map((mark) => text.indexOf(mark)).filter((index) => index >= 0);
  return found.length === 0 ? -1 : Math.min(...found);
}

function lineOf(text: string, offset: number): number {
  return text.slice(0, offset).split('\n').length;
}
