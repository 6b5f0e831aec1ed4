// Parity rules (pure): how serious a difference between production and another environment is, by item key.
//
// Iso-production must match production: same database, same capacity, same speed, same browser constraints.
// Each difference gets a severity (critical, warning, info) and the id of the rule that decided it:
//
//   rule               severity  when
//   database.major     critical  runtime.postgresql / mysql / mariadb: different release series (the major
//                                version: PostgreSQL >= 10 its first number, PostgreSQL 9.x and MySQL/MariaDB
//                                major.minor, e.g. 8.0, 10.11)
//   database.minor     warning   same database series, other version (15.8 vs 15.6)
//   os.distro          warning   os.distro differs (Debian vs Ubuntu)
//   os.release.major   warning   os.release major differs (12 vs 11)
//   os.release.minor   info      os.release differs otherwise (9.3 vs 9.4)
//   os.arch            warning   os.arch differs: not the same binaries, not the same speed
//   os.timezone        warning   os.timezone differs: dates and scheduled jobs behave differently
//   os.locale          warning   os.locale differs: sorting, dates and numbers are formatted differently
//   os.kernel          info      os.kernel differs; so does any other os.* item (os.codename ...)
//   capacity.lower     warning   cpu.cores or memory.total_bytes lower than production: slower, and may not
//                                hold all the data
//   capacity.higher    info      cpu.cores or memory.total_bytes higher than production
//   cpu.model          info      cpu.model differs
//   fs.size.lower      warning   fs.<mount>.size_bytes lower than production: may not hold all the data
//   fs.size.higher     info      fs.<mount>.size_bytes higher; any other fs.* item
//   browser.major      warning   browser.* major version differs (chromium 131 vs 129)
//   browser.minor      info      browser.* differs otherwise
//   runtime.major      warning   runtime.* release branch differs: node, java (1.8 is 8) and any other
//                                runtime by first number; python3, php, nginx, apache, tomcat by major.minor
//                                (their maintained branches: 3.11, 8.2, 1.24, 2.4, 10.1)
//   runtime.minor      info      runtime.* differs otherwise
//   package.major      warning   package.* major version differs (epoch:upstream-revision, Debian and RPM)
//   package.minor      info      package.* minor version differs
//   package.patch      info      package.* patch level or packaging revision differs
//   config.value       warning   config.* values differ
//   config.secret      warning   config.* secret (hmac-sha256:<hex>, alone or inside the value, or
//                                `redacted`) differs; values never shown, only the first 8 hex digits of each
//                                HMAC. A value whose readable parts differ is a config.value difference.
//   secret.key         warning   secret.key.id differs: the hosts hash secrets with different keys
//   config.secret.uncomparable
//                      info      a secret differs while the hosts hash with different keys (see secret.key)
//   file.content       info      file.*.sha256 differs; any other file.* item
//   missing.runtime    warning   a runtime.*, browser.* or config.* item exists on one side only
//   missing.fs         warning   a production filesystem size (fs.*.size_bytes) is missing on the other side
//   missing.other      info      any other item (package.* included) exists on one side only
//   error              info      an `*.error` / `*.parse_error` item (unreadable file, dead mount) differs
//   other              info      any other item differs
//
// Items matching an ignore pattern are not compared: DEFAULT_IGNORE (host names, addresses) plus the patterns
// configured for the application.

import { createHash } from 'node:crypto';

export type Severity = 'critical' | 'warning' | 'info';
export const SEVERITIES: readonly Severity[] = ['critical', 'warning', 'info'];

export interface Verdict {
  severity: Severity;
  /** A rule id of PARITY_RULES. */
  rule: string;
  /** Why, in words; never contains a secret value. */
  reason: string;
}

export interface RuleDoc {
  id: string;
  severity: Severity;
  description: string;
}

export const PARITY_RULES: readonly RuleDoc[] = [
  { id: 'database.major', severity: 'critical', description: 'different database major version' },
  { id: 'database.minor', severity: 'warning', description: 'same database major version, other minor' },
  { id: 'os.distro', severity: 'warning', description: 'different operating system distribution' },
  { id: 'os.release.major', severity: 'warning', description: 'different OS major release' },
  { id: 'os.release.minor', severity: 'info', description: 'different OS minor release' },
  { id: 'os.arch', severity: 'warning', description: 'different CPU architecture' },
  { id: 'os.timezone', severity: 'warning', description: 'different time zone' },
  { id: 'os.locale', severity: 'warning', description: 'different locale' },
  { id: 'os.kernel', severity: 'info', description: 'different kernel or other OS detail' },
  {
    id: 'capacity.lower',
    severity: 'warning',
    description: 'fewer CPU cores or less memory than production: slower, and may not hold all the data',
  },
  { id: 'capacity.higher', severity: 'info', description: 'more CPU cores or memory than production' },
  { id: 'cpu.model', severity: 'info', description: 'different CPU model' },
  { id: 'fs.size.lower', severity: 'warning', description: 'smaller filesystem: may not hold all the data' },
  { id: 'fs.size.higher', severity: 'info', description: 'larger filesystem, or other filesystem detail' },
  { id: 'browser.major', severity: 'warning', description: 'different browser major version' },
  { id: 'browser.minor', severity: 'info', description: 'different browser minor version' },
  { id: 'runtime.major', severity: 'warning', description: 'different runtime release branch' },
  { id: 'runtime.minor', severity: 'info', description: 'same runtime branch, other version' },
  { id: 'package.major', severity: 'warning', description: 'different package major version' },
  { id: 'package.minor', severity: 'info', description: 'different package minor version' },
  { id: 'package.patch', severity: 'info', description: 'different package patch level or revision' },
  { id: 'config.value', severity: 'warning', description: 'different configuration value' },
  { id: 'config.secret', severity: 'warning', description: 'secret differs (values not shown)' },
  {
    id: 'secret.key',
    severity: 'warning',
    description: 'hosts hash secrets with different keys: their secrets cannot be compared',
  },
  {
    id: 'config.secret.uncomparable',
    severity: 'info',
    description: 'secret hashed with another key on each side: not compared',
  },
  { id: 'error', severity: 'info', description: 'an item could not be read on one side' },
  { id: 'file.content', severity: 'info', description: 'different file content or attribute' },
  {
    id: 'missing.runtime',
    severity: 'warning',
    description: 'runtime, browser or configuration item on one side only',
  },
  { id: 'missing.fs', severity: 'warning', description: 'production filesystem missing on the other side' },
  { id: 'missing.other', severity: 'info', description: 'item (e.g. a package) on one side only' },
  { id: 'other', severity: 'info', description: 'other difference' },
];

// ---- versions ----

export interface ParsedVersion {
  epoch: number;
  /** The upstream version, without epoch and revision: `2.36`, `131.0.6778.85`. */
  upstream: string;
  /** The packaging revision after the last hyphen (`9+deb12u4`, `27.el9`), or ''. */
  revision: string;
  /** The leading numeric components of the upstream version (`.` or `_` separated). */
  numbers: number[];
  major: number;
  minor: number;
  patch: number;
}

/** The first token of `text` that looks like a version, `v` prefix dropped. */
function versionToken(text: string): string | undefined {
  for (const token of text.trim().split(/[\s()[\],;]+/)) {
    const t = /^v\d/i.test(token) ? token.slice(1) : token;
    if (/^\d/.test(t)) return t;
  }
  return undefined;
}

function parseOne(text: string): ParsedVersion | undefined {
  const token = versionToken(text);
  if (token === undefined) return undefined;
  let rest = token;
  let epoch = 0;
  const e = /^(\d+):(.+)$/.exec(rest);
  if (e) {
    epoch = Number(e[1]);
    rest = e[2] ?? '';
  }
  const hyphen = rest.lastIndexOf('-');
  const upstream = hyphen > 0 ? rest.slice(0, hyphen) : rest;
  const revision = hyphen > 0 ? rest.slice(hyphen + 1) : '';
  const lead = /^\d+(?:[._]\d+)*/.exec(upstream);
  if (!lead) return undefined;
  const numbers = lead[0].split(/[._]/).map(Number);
  return {
    epoch,
    upstream,
    revision,
    numbers,
    major: numbers[0] ?? 0,
    minor: numbers[1] ?? 0,
    patch: numbers[2] ?? 0,
  };
}

/**
 * Parses a Debian- or RPM-style version `[epoch:]upstream[-revision]` (`1:2.36-9+deb12u4`, `3.0.7-27.el9`,
 * `131.0.6778.85-1~deb12u1`), also found inside a longer text (`PostgreSQL 15.8 (Debian 15.8-1)`). A value
 * listing several versions (`1.2-1, 1.3-1`: a package installed twice) gives the highest.
 */
export function parseVersion(raw: string): ParsedVersion | undefined {
  let best: ParsedVersion | undefined;
  for (const part of raw.split(/,\s*/)) {
    const v = parseOne(part);
    if (v && (!best || compareVersions(v, best) > 0)) best = v;
  }
  return best;
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Orders two parsed versions: epoch, numeric components, then the rest of upstream and the revision as text. */
export function compareVersions(a: ParsedVersion, b: ParsedVersion): number {
  if (a.epoch !== b.epoch) return a.epoch < b.epoch ? -1 : 1;
  const n = Math.max(a.numbers.length, b.numbers.length);
  for (let i = 0; i < n; i++) {
    const x = a.numbers[i] ?? 0;
    const y = b.numbers[i] ?? 0;
    if (x !== y) return x < y ? -1 : 1;
  }
  return compareText(a.upstream, b.upstream) || compareText(a.revision, b.revision);
}

export type VersionChange = 'same' | 'major' | 'minor' | 'patch' | 'revision' | 'unparsable';

/** The most significant level at which two version strings differ (an epoch change counts as major). */
export function versionChange(a: string, b: string): VersionChange {
  if (a === b) return 'same';
  const pa = parseVersion(a);
  const pb = parseVersion(b);
  if (!pa || !pb) return 'unparsable';
  if (pa.epoch !== pb.epoch || pa.major !== pb.major) return 'major';
  if (pa.minor !== pb.minor) return 'minor';
  if (pa.patch !== pb.patch) return 'patch';
  return 'revision';
}

/** The release series of a product's version: what "major version" means for it (see the table above). */
export function releaseSeries(product: string, v: ParsedVersion): string {
  const two = `${v.major}.${v.minor}`;
  switch (product) {
    case 'postgresql':
      return v.major >= 10 ? String(v.major) : two;
    case 'mysql':
    case 'mariadb':
    case 'python':
    case 'python3':
    case 'php':
    case 'nginx':
    case 'apache':
    case 'apache2':
    case 'httpd':
    case 'tomcat':
      return two;
    case 'java':
      return v.major === 1 && v.numbers.length > 1 ? String(v.minor) : String(v.major);
    default:
      return String(v.major);
  }
}

// ---- secrets and display ----

/** The agent's keyed hash of a secret: `hmac-sha256:<hex>`, alone or inside a value (a URL's password). */
export const SECRET_PREFIX = 'hmac-sha256:';
/** What the agent sends for a secret when it has no HMAC key: never the value. */
export const REDACTED = 'redacted';
/** The item with the public id of the agent's HMAC key: equal ids, comparable secret hashes. */
export const SECRET_KEY_ID_ITEM = 'secret.key.id';
const HMAC_RE = /hmac-sha256:([0-9a-f]{8})[0-9a-f]*/g;
const SECRET_NAME = /(passw|passwd|pwd|secret|token|api[_-]?key|private[_-]?key|credential)/i;

/** A value that is, or holds, a secret the agent hashed or redacted. */
export function isSecretValue(value: string): boolean {
  return value.includes(SECRET_PREFIX) || value === REDACTED;
}

/** A configuration item whose name says it holds a secret (`config.<file>.DB_PASSWORD`). */
export function isSecretKey(item: string): boolean {
  if (!item.startsWith('config.') && !item.startsWith('env.')) return false;
  const last = item.slice(item.lastIndexOf('.') + 1);
  return SECRET_NAME.test(last);
}

/**
 * How a value may be shown (reports, exports, tickets, API): each HMAC only by its first 8 hex digits, and a
 * value under a secret-looking name that the agent did not hash not at all. null: the item is absent.
 */
export function displayValue(item: string, value: string | undefined): string | null {
  if (value === undefined) return null;
  if (value.includes(SECRET_PREFIX)) return value.replace(HMAC_RE, `${SECRET_PREFIX}$1…`);
  if (isSecretKey(item) && value !== REDACTED) return '[redacted]';
  return value;
}

/**
 * How a value may be stored outside the snapshots (baselines): a value under a secret-looking name that the
 * agent did not hash is kept only as a digest bound to its item, enough to tell whether it changed.
 */
export function protectValue(item: string, value: string): string {
  if (!isSecretKey(item) || isSecretValue(value)) return value;
  return `redacted-sha256:${createHash('sha256').update(item).update('\0').update(value).digest('hex')}`;
}

// ---- ignore patterns ----

/** Host-specific items that always differ between two hosts. */
export const DEFAULT_IGNORE: readonly string[] = ['os.hostname', 'net.*', '*.ip'];

/** A glob where `*` matches any characters (dots and slashes included), anchored at both ends. */
export function globToRegExp(pattern: string): RegExp {
  const escaped = pattern.split('*').map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'));
  return new RegExp(`^${escaped.join('.*')}$`, 's');
}

export function ignoreMatcher(patterns: readonly string[]): (item: string) => boolean {
  const res = patterns.map(globToRegExp);
  return (item) => res.some((re) => re.test(item));
}

// ---- the rules ----

const DATABASES = new Set(['postgresql', 'mysql', 'mariadb']);

function gib(bytes: number): string {
  return `${(bytes / 1024 ** 3).toFixed(1)} GiB`;
}

function v(rule: string, reason: string): Verdict {
  const doc = PARITY_RULES.find((r) => r.id === rule);
  return { severity: doc?.severity ?? 'info', rule, reason };
}

function numeric(value: string): number | undefined {
  if (!/^\s*-?\d+(\.\d+)?\s*$/.test(value)) return undefined;
  return Number(value);
}

function presence(item: string, production: string | undefined, environment: string): Verdict {
  const where = production === undefined ? `only in ${environment}` : `missing in ${environment}`;
  if (item.startsWith('runtime.') || item.startsWith('browser.') || item.startsWith('config.'))
    return v('missing.runtime', `${item} ${where}`);
  if (production !== undefined && /^fs\..+\.size_bytes$/.test(item))
    return v(
      'missing.fs',
      `filesystem ${item.slice(3, -'.size_bytes'.length)} ${where}: may not hold all the data`,
    );
  return v('missing.other', `${item} ${where}`);
}

function capacity(
  item: string,
  production: string,
  other: string,
  environment: string,
  what: string,
  lower: string,
): Verdict {
  const p = numeric(production);
  const o = numeric(other);
  if (p === undefined || o === undefined) return v('other', `${item} differs`);
  const show = (n: number) => (item.endsWith('_bytes') ? gib(n) : String(n));
  if (o < p)
    return v(
      item.startsWith('fs.') ? 'fs.size.lower' : 'capacity.lower',
      `${environment} has ${what} than production (${show(o)} < ${show(p)}): ${lower}`,
    );
  return v(
    item.startsWith('fs.') ? 'fs.size.higher' : 'capacity.higher',
    `${environment} has more ${item.startsWith('cpu.') ? 'CPU cores' : 'capacity'} than production (${show(o)} > ${show(p)})`,
  );
}

function versioned(
  prefix: 'browser' | 'runtime' | 'package',
  name: string,
  production: string,
  other: string,
): Verdict {
  const pp = parseVersion(production);
  const po = parseVersion(other);
  if (!pp || !po) return v('other', `${prefix} ${name}: versions differ`);
  const older = compareVersions(po, pp) < 0 ? 'older' : 'newer';
  const desc = `${name} ${other} is ${older} than production's ${production}`;
  if (prefix === 'runtime') {
    if (DATABASES.has(name)) {
      return releaseSeries(name, pp) !== releaseSeries(name, po)
        ? v(
            'database.major',
            `${name} ${releaseSeries(name, po)} vs ${releaseSeries(name, pp)} in production: a different major version`,
          )
        : v('database.minor', desc);
    }
    return releaseSeries(name, pp) !== releaseSeries(name, po)
      ? v('runtime.major', desc)
      : v('runtime.minor', desc);
  }
  const change = versionChange(production, other);
  if (prefix === 'browser') return v(change === 'major' ? 'browser.major' : 'browser.minor', desc);
  if (change === 'major') return v('package.major', desc);
  if (change === 'minor') return v('package.minor', desc);
  return v('package.patch', desc);
}

function config(item: string, production: string, other: string, secretsComparable: boolean): Verdict {
  const secret = isSecretKey(item) || isSecretValue(production) || isSecretValue(other);
  if (!secret) return v('config.value', 'configuration value differs');
  // Only the hashed parts differ (or the whole value is a secret): the secret itself differs.
  const readable = (x: string) => x.replace(HMAC_RE, SECRET_PREFIX);
  if (!isSecretKey(item) && readable(production) !== readable(other))
    return v('config.value', 'configuration value differs');
  if (!secretsComparable)
    return v('config.secret.uncomparable', 'secret hashed with another key on each host: not compared');
  return v('config.secret', 'secret differs');
}

export interface ClassifyContext {
  /** False when the two hosts hash secrets with different keys (their `secret.key.id` differ). */
  secretsComparable?: boolean;
}

/**
 * The verdict on one item that differs between production and `environment` (undefined: the item is absent
 * on that side). Call it only for values that differ.
 */
export function classifyDifference(
  item: string,
  production: string | undefined,
  other: string | undefined,
  environment = 'iso-production',
  context: ClassifyContext = {},
): Verdict {
  // `file.<path>.error`, `fs.<mount>.error`, `runtime.tomcat.error`...: not a configuration key named so.
  if (!item.startsWith('config.') && /\.(parse_)?error$/.test(item))
    return v('error', `${item}: could not be read the same way on both hosts`);
  if (production === undefined || other === undefined) return presence(item, production, environment);
  if (item === SECRET_KEY_ID_ITEM)
    return v('secret.key', 'the hosts hash secrets with different keys: their secrets cannot be compared');
  const dot = item.indexOf('.');
  const prefix = dot < 0 ? item : item.slice(0, dot);
  const name = dot < 0 ? '' : item.slice(dot + 1);
  switch (prefix) {
    case 'runtime':
    case 'browser':
    case 'package':
      return versioned(prefix, name, production, other);
    case 'os': {
      if (name === 'distro') return v('os.distro', `${other} vs ${production} in production`);
      if (name === 'release') {
        return versionChange(production, other) === 'major' || parseVersion(production) === undefined
          ? v('os.release.major', `release ${other} vs ${production} in production`)
          : v('os.release.minor', `release ${other} vs ${production} in production`);
      }
      if (name === 'arch') return v('os.arch', `${other} vs ${production} in production`);
      if (name === 'timezone') return v('os.timezone', `${other} vs ${production} in production`);
      if (name === 'locale') return v('os.locale', `${other} vs ${production} in production`);
      return v('os.kernel', `${item}: ${other} vs ${production} in production`);
    }
    case 'cpu':
      if (name === 'cores')
        return capacity(
          item,
          production,
          other,
          environment,
          'fewer CPU cores',
          'slower, and may not hold all the data',
        );
      if (name === 'model') return v('cpu.model', `${other} vs ${production} in production`);
      return v('other', `${item} differs`);
    case 'memory':
      if (name === 'total_bytes')
        return capacity(
          item,
          production,
          other,
          environment,
          'less memory',
          'slower, and may not hold all the data',
        );
      return v('other', `${item} differs`);
    case 'fs':
      if (name.endsWith('.size_bytes'))
        return capacity(
          item,
          production,
          other,
          environment,
          'a smaller filesystem',
          'may not hold all the data',
        );
      return v('fs.size.higher', `${item} differs`);
    case 'config':
      return config(item, production, other, context.secretsComparable ?? true);
    case 'file':
      return v('file.content', name.endsWith('.sha256') ? 'file content differs' : `${item} differs`);
    default:
      return v('other', `${item} differs`);
  }
}
