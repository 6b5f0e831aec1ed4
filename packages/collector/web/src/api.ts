// The REST API with the operator's key; a 401 signs the page out.
import { state } from './state';

export class ApiFailure extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly code?: string,
  ) {
    super(message);
  }
}

let onUnauthorized: (() => void) | undefined;
export function whenUnauthorized(f: () => void): void {
  onUnauthorized = f;
}

export interface ApiOptions {
  method?: string;
  body?: unknown;
  /** Signing in: a 401 is the answer, not a reason to sign out. */
  login?: boolean;
}

export async function request(path: string, options: ApiOptions = {}): Promise<Response> {
  const headers: Record<string, string> = { authorization: `Bearer ${state.key}` };
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  const r = await fetch(path, {
    method: options.method ?? 'GET',
    headers,
    body: options.body === undefined ? undefined : JSON.stringify(options.body),
    cache: 'no-store',
  });
  if (r.status === 401 && !options.login) {
    onUnauthorized?.();
    throw new ApiFailure(401, 'signed out', 'invalid_api_key');
  }
  if (!r.ok) {
    const body = (await r.json().catch(() => undefined)) as { message?: string; error?: string } | undefined;
    throw new ApiFailure(r.status, body?.message ?? `HTTP ${r.status}`, body?.error);
  }
  return r;
}

export async function api<T>(path: string, options: ApiOptions = {}): Promise<T> {
  const r = await request(path, options);
  if (r.status === 204) return undefined as T;
  return (await r.json()) as T;
}

export const q = (params: Record<string, string | undefined | null>): string => {
  const s = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') s.set(k, v);
  const text = s.toString();
  return text ? `?${text}` : '';
};
