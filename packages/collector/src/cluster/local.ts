// The cluster of one: a collector on SQLite owns every host and always leads; live events stay in-process.
import type { LiveFeed } from '../web/live.js';
import { type Acquired, type Cluster, type ClusterStatus, type HostKey, hostKeyString } from './types.js';

export class LocalCluster implements Cluster {
  private readonly held = new Set<string>();

  constructor(
    readonly instance: string,
    private readonly feed: LiveFeed,
    private readonly connected: () => Set<string>,
  ) {}

  async start(): Promise<void> {}

  async acquireHost(key: HostKey): Promise<Acquired> {
    this.held.add(hostKeyString(key));
    // Nobody else ever holds a host: the state in memory is always current.
    return { ok: true, generation: 0 };
  }

  async releaseHost(key: HostKey): Promise<void> {
    this.held.delete(hostKeyString(key));
  }

  holds(key: HostKey): boolean {
    return this.held.has(hostKeyString(key));
  }

  onLost(): void {}
  onReleaseRequest(): void {}

  isLeader(): boolean {
    return true;
  }

  onLeadership(listener: (leader: boolean) => void): void {
    listener(true);
  }

  publish(event: Parameters<LiveFeed['publish']>[0]): void {
    this.feed.publish(event);
  }

  async connectedHosts(): Promise<Set<string>> {
    return this.connected();
  }

  status(): ClusterStatus {
    return { instance: this.instance, mode: 'single', leader: true, hostsOwned: this.held.size };
  }

  async close(): Promise<void> {}
}
