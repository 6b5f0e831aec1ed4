// Edits the agent's YAML config in place for `vigie-agent enroll`: the collector URL and the token file,
// through the yaml Document API so the operator's comments and layout survive.
import { isMap, parseDocument } from 'yaml';

export interface CollectorSettings {
  /** The ingest URL (ws:// or wss://). */
  url: string;
  /** Where the credential is (absolute, or relative to the config file). */
  tokenFile: string;
  /** The CA that signs the collector, when it is private. */
  caFile?: string;
}

/** The ingest URL from what the operator typed: http(s) becomes ws(s), and a bare host gets /ingest. */
export function ingestUrl(url: string): string {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new Error(`--url: "${url}" is not a URL (expected wss://host[:port]/ingest)`);
  }
  const scheme = { 'http:': 'ws:', 'https:': 'wss:', 'ws:': 'ws:', 'wss:': 'wss:' }[u.protocol];
  if (!scheme) throw new Error(`--url: "${url}" is not ws://, wss://, http:// or https://`);
  const path = u.pathname === '/' || u.pathname === '' ? '/ingest' : u.pathname;
  return `${scheme}//${u.host}${path}`;
}

/**
 * The config text with `collector.url` and `collector.tokenFile` set (an inline `collector.token` is removed:
 * the credential lives in the token file). Other keys and the comments are kept.
 */
export function withCollector(text: string, s: CollectorSettings): string {
  const doc = parseDocument(text);
  if (doc.errors.length > 0) throw new Error(`YAML syntax: ${doc.errors[0]?.message.split('\n')[0]}`);
  const collector = doc.get('collector');
  if (!isMap(collector)) doc.set('collector', doc.createNode({}));
  doc.setIn(['collector', 'url'], s.url);
  doc.setIn(['collector', 'tokenFile'], s.tokenFile);
  if (doc.hasIn(['collector', 'token'])) doc.deleteIn(['collector', 'token']);
  if (s.caFile !== undefined) doc.setIn(['collector', 'caFile'], s.caFile);
  return doc.toString();
}
