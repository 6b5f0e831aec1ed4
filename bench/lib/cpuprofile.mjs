// Reads a V8 .cpuprofile (node --cpu-prof) and sums it up: self time per function, inclusive time per
// function, and self time per origin (a package, the collector's own files, node internals, the GC).
import { readFileSync } from 'node:fs';

/**
 * @typedef {{ id: number; callFrame: { functionName: string; url: string; lineNumber: number };
 *   hitCount?: number; children?: number[] }} ProfileNode
 * @typedef {{ nodes: ProfileNode[]; samples: number[]; timeDeltas: number[]; startTime: number; endTime: number }} Profile
 */

/** Where a frame's code comes from: `pkg:<name>`, `vigie:<package>`, `node:<module>` or a V8 pseudo-frame. */
function origin(/** @type {ProfileNode['callFrame']} */ f) {
  const url = f.url;
  if (url === '') return f.functionName.startsWith('(') ? f.functionName : '(native)';
  const nm = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (nm) return `pkg:${nm[1]}`;
  const own = /packages\/([^/]+)\/dist\/(.*)$/.exec(url);
  if (own) return `vigie:${own[1]}`;
  if (url.startsWith('node:')) return url;
  return url;
}

function label(/** @type {ProfileNode['callFrame']} */ f) {
  const name = f.functionName || '(anonymous)';
  if (f.url === '') return name;
  const short = f.url
    .replace(/^file:\/\//, '')
    .replace(/.*node_modules\//, '')
    .replace(/.*\/packages\//, '');
  return `${name} ${short}:${f.lineNumber + 1}`;
}

/** The profile, its nodes by id and each node's parent. */
function load(/** @type {string} */ file) {
  /** @type {Profile} */
  const p = JSON.parse(readFileSync(file, 'utf8'));
  /** @type {Map<number, ProfileNode>} */
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  /** @type {Map<number, number>} */
  const parent = new Map();
  for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  return { p, byId, parent };
}

/**
 * @param {string} file
 * @param {number} [top]
 */
export function summariseProfile(file, top = 25) {
  const { p, byId, parent } = load(file);
  /** @type {Map<number, number>} self time (µs) per node */
  const selfUs = new Map();
  let totalUs = 0;
  for (let i = 0; i < p.samples.length; i++) {
    const dt = p.timeDeltas[i + 1] ?? 0;
    const id = p.samples[i];
    selfUs.set(id, (selfUs.get(id) ?? 0) + dt);
    totalUs += dt;
  }
  /** @type {Map<string, number>} */
  const selfByFn = new Map();
  /** @type {Map<string, number>} */
  const selfByOrigin = new Map();
  /** @type {Map<string, number>} */
  const inclByFn = new Map();
  for (const [id, us] of selfUs) {
    const node = byId.get(id);
    if (!node) continue;
    const key = label(node.callFrame);
    selfByFn.set(key, (selfByFn.get(key) ?? 0) + us);
    const o = origin(node.callFrame);
    selfByOrigin.set(o, (selfByOrigin.get(o) ?? 0) + us);
    // Inclusive: every distinct function on the stack of this node gets the node's self time once.
    const seen = new Set();
    for (let cur = /** @type {number | undefined} */ (id); cur !== undefined; cur = parent.get(cur)) {
      const n = byId.get(cur);
      if (!n) break;
      const k = label(n.callFrame);
      if (seen.has(k)) continue;
      seen.add(k);
      inclByFn.set(k, (inclByFn.get(k) ?? 0) + us);
    }
  }
  const pct = (/** @type {number} */ us) => Math.round((us / Math.max(totalUs, 1)) * 1000) / 10;
  const sorted = (/** @type {Map<string, number>} */ m, /** @type {number} */ n) =>
    [...m]
      .sort((a, b) => b[1] - a[1])
      .slice(0, n)
      .map(([name, us]) => ({ name, ms: Math.round(us / 1000), percent: pct(us) }));
  const idleUs = selfByFn.get('(idle)') ?? 0;
  return {
    file,
    durationMs: Math.round(totalUs / 1000),
    busyPercent: pct(totalUs - idleUs),
    selfTop: sorted(selfByFn, top),
    byOrigin: sorted(selfByOrigin, 20),
    inclusiveTop: sorted(
      new Map([...inclByFn].filter(([k]) => !k.startsWith('(root)') && !k.startsWith('(program)'))),
      top,
    ),
  };
}

/** Prints a summary made by summariseProfile. */
export function printProfileSummary(/** @type {ReturnType<typeof summariseProfile>} */ s) {
  const out = [];
  out.push(`CPU profile ${s.file}: ${s.durationMs} ms sampled, ${s.busyPercent}% not idle`);
  out.push('  top self time:');
  for (const r of s.selfTop) out.push(`    ${String(r.percent).padStart(5)}%  ${r.name}`);
  out.push('  self time by origin:');
  for (const r of s.byOrigin) out.push(`    ${String(r.percent).padStart(5)}%  ${r.name}`);
  out.push('  top inclusive time:');
  for (const r of s.inclusiveTop) out.push(`    ${String(r.percent).padStart(5)}%  ${r.name}`);
  process.stdout.write(`${out.join('\n')}\n`);
}

// `node bench/lib/cpuprofile.mjs FILE [TOP]` prints the summary of a saved profile.
if (import.meta.url === `file://${process.argv[1]}`) {
  const file = process.argv[2];
  if (!file) {
    process.stderr.write('usage: node bench/lib/cpuprofile.mjs FILE.cpuprofile [TOP]\n');
    process.exit(2);
  }
  printProfileSummary(summariseProfile(file, Number(process.argv[3] ?? 25)));
}
