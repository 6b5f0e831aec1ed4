// What a collector needs from the others when several share one PostgreSQL (and one InfluxDB): one owner per
// host (a lease), one leader for background work (an advisory lock), and the live feed shared by all. A lone
// collector (SQLite) has a local implementation where it owns every host and always leads.
import type { LiveEvent } from '../web/live.js';

export interface HostKey {
  tenantId: string;
  host: string;
}

export type Acquired =
  /**
   * `generation` changes whenever the lease changed hands since (another collector held it, or it was given
   * up): state held in memory under another generation is stale.
   */
  { ok: true; generation: number } | { ok: false; reason: string };

export interface ClusterStatus {
  instance: string;
  mode: 'single' | 'postgres';
  leader: boolean;
  hostsOwned: number;
}

export interface Cluster {
  readonly instance: string;
  start(): Promise<void>;
  /**
   * Takes the host's lease: at once when it is free, expired or ours; otherwise asks its holder to let it
   * go and waits, up to `timeoutMs` (or until `signal` aborts).
   */
  acquireHost(key: HostKey, options: { timeoutMs: number; signal?: AbortSignal }): Promise<Acquired>;
  /** Gives the host's lease up (its session ended here and its state is written). */
  releaseHost(key: HostKey): Promise<void>;
  /** Whether this instance believes it holds the host (a cheap local check; the store confirms it). */
  holds(key: HostKey): boolean;
  /** Told when a lease of this instance is lost (taken over, or not renewable in time). */
  onLost(listener: (key: HostKey, reason: string) => void): void;
  /** Told when another instance wants a host this one holds (its agent connected there). */
  onReleaseRequest(listener: (key: HostKey, by: string) => void): void;
  isLeader(): boolean;
  onLeadership(listener: (leader: boolean) => void): void;
  /** Hands a live event to this instance's subscribers and to the other instances'. */
  publish(event: LiveEvent): void;
  /** Hosts whose agent is connected to any instance (holds a live lease). */
  connectedHosts(): Promise<Set<string>>;
  status(): ClusterStatus;
  close(): Promise<void>;
}

export const hostKeyString = (k: HostKey) => `${k.tenantId}/${k.host}`;
