// `vigie-agent enroll`: exchanges a one-time enrollment token for this agent's own credential, and stores it
// in a file only the agent's user can read (mode 0600). The collector keeps only a hash of it.
import { chmodSync, chownSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { Agent, request } from 'undici';

/** The system user the packaged agent runs as (created by the package's maintainer scripts). */
export const SERVICE_USER = 'vigie-agent';

/** The uid and gid of a user from /etc/passwd, or undefined when there is no such user. */
export function systemUser(name: string, passwd = '/etc/passwd'): { uid: number; gid: number } | undefined {
  if (!existsSync(passwd)) return undefined;
  for (const line of readFileSync(passwd, 'utf8').split('\n')) {
    const [user, , uid, gid] = line.split(':');
    if (user === name && uid !== undefined && gid !== undefined)
      return { uid: Number(uid), gid: Number(gid) };
  }
  return undefined;
}

export interface EnrollParams {
  /** The collector's base URL (http[s]://host:port), or its ingest URL (ws[s]://host:port/ingest). */
  url: string;
  enrollmentToken: string;
  host: string;
  out: string;
  ca?: string;
  /** Who owns the credential file (the service user when enroll runs as root). */
  owner?: { uid: number; gid: number };
}

export interface Enrolled {
  tokenId: string;
  tenant: string;
  host: string;
  file: string;
}

export function httpBase(url: string): string {
  const u = new URL(url);
  if (u.protocol === 'ws:') u.protocol = 'http:';
  if (u.protocol === 'wss:') u.protocol = 'https:';
  return `${u.protocol}//${u.host}`;
}

export async function enroll(p: EnrollParams): Promise<Enrolled> {
  const dispatcher = p.ca ? new Agent({ connect: { ca: p.ca } }) : undefined;
  const target = `${httpBase(p.url)}/enroll`;
  let res: Awaited<ReturnType<typeof request>>;
  try {
    res = await request(target, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ token: p.enrollmentToken, host: p.host }),
      dispatcher,
      headersTimeout: 15_000,
      bodyTimeout: 15_000,
    });
  } catch (err) {
    throw new Error(`cannot reach the collector at ${target}: ${(err as Error).message}`);
  } finally {
    void dispatcher?.close();
  }
  const body = (await res.body.json().catch(() => ({}))) as Record<string, string>;
  if (res.statusCode !== 201) {
    throw new Error(
      `enrollment refused (HTTP ${res.statusCode} ${body.error ?? ''}): ${body.message ?? 'no reason given'}`,
    );
  }
  mkdirSync(dirname(p.out), { recursive: true, mode: 0o700 });
  writeFileSync(p.out, `${body.token}\n`, { mode: 0o600 });
  chmodSync(p.out, 0o600); // an existing file keeps its old mode on write
  if (p.owner) chownSync(p.out, p.owner.uid, p.owner.gid);
  return {
    tokenId: body.tokenId as string,
    tenant: body.tenant as string,
    host: body.host as string,
    file: p.out,
  };
}
