// Several collectors on one PostgreSQL. Each host is owned by one collector at a time through a lease row
// (owner, expiry on the database's clock), taken at hello and renewed every third of its time to live; every
// ingest transaction renews (and so checks) the leases of its hosts, so a collector that lost one cannot commit
// for it. Background work runs on the one collector holding a session-level advisory lock (the leader).
// LISTEN/NOTIFY carries two things between collectors: "let this host go" (its agent connected elsewhere) and
// the live feed of the NOC page.
import pg from 'pg';
import type { LiveEvent, LiveFeed } from '../web/live.js';
import { type Acquired, type Cluster, type ClusterStatus, type HostKey, hostKeyString } from './types.js';

export interface PostgresClusterOptions {
  instance: string;
  url: string;
  pool: pg.Pool;
  feed: LiveFeed;
  /** Lease time to live: a dead collector's hosts move after at most this long. */
  leaseTtlMs: number;
  /** How often the leader lock is tried (and, held, checked): the bound on a leader's failover. */
  electionEveryMs: number;
  log: {
    info(o: object, m: string): void;
    warn(o: object, m: string): void;
    error(o: object, m: string): void;
  };
}

const CHANNEL = 'vigie_cluster';
/** The advisory lock of the leader (per database: collectors of another database never contend). */
const LEADER_LOCK = 0x76696769; // "vigi"
const NOW_MS = '(extract(epoch from clock_timestamp()) * 1000)::bigint';

type Message =
  | { from: string; kind: 'release'; tenantId: string; host: string }
  | { from: string; kind: 'live'; events: LiveEvent[] };

export class PostgresCluster implements Cluster {
  readonly instance: string;
  private readonly held = new Set<string>();
  private readonly lostListeners: Array<(key: HostKey, reason: string) => void> = [];
  private readonly releaseListeners: Array<(key: HostKey, by: string) => void> = [];
  private readonly leadershipListeners: Array<(leader: boolean) => void> = [];
  private leader = false;
  private leaderCheckedAt = 0;
  private leaderClient: pg.Client | undefined;
  private listenClient: pg.Client | undefined;
  private timers: NodeJS.Timeout[] = [];
  private lastRenewOk = performance.now();
  private outgoing: LiveEvent[] = [];
  private closed = false;

  constructor(private readonly o: PostgresClusterOptions) {
    this.instance = o.instance;
  }

  async start(): Promise<void> {
    await this.listen();
    await this.elect();
    this.timers.push(
      setInterval(() => void this.renew(), Math.max(200, Math.floor(this.o.leaseTtlMs / 3))),
      setInterval(() => void this.elect(), this.o.electionEveryMs),
      setInterval(() => void this.flushLive(), 200),
    );
    for (const t of this.timers) t.unref();
  }

  // ---- host leases ----

  async acquireHost(key: HostKey, options: { timeoutMs: number; signal?: AbortSignal }): Promise<Acquired> {
    const k = hostKeyString(key);
    const deadline = performance.now() + options.timeoutMs;
    let asked = false;
    for (let wait = 100; ; wait = Math.min(1000, wait * 2)) {
      const r = await this.o.pool.query<{ acquired_at: string }>(
        `WITH t AS (SELECT ${NOW_MS} AS now)
         INSERT INTO host_leases (tenant_id, host, owner, expires_at, acquired_at)
         SELECT $1, $2, $3, t.now + $4, t.now FROM t
         ON CONFLICT (tenant_id, host) DO UPDATE SET owner = excluded.owner, expires_at = excluded.expires_at,
           acquired_at = CASE WHEN host_leases.owner = excluded.owner THEN host_leases.acquired_at
                              ELSE excluded.acquired_at END
         WHERE host_leases.owner = excluded.owner OR host_leases.expires_at < excluded.acquired_at
         RETURNING acquired_at`,
        [key.tenantId, key.host, this.instance, this.o.leaseTtlMs],
      );
      const row = r.rows[0];
      if (row) {
        this.held.add(k);
        return { ok: true, generation: Number(row.acquired_at) };
      }
      if (!asked) {
        asked = true;
        await this.notify({ from: this.instance, kind: 'release', tenantId: key.tenantId, host: key.host });
      }
      if (options.signal?.aborted || performance.now() + wait > deadline || this.closed) {
        const holder = await this.o.pool.query<{ owner: string; left: string }>(
          `SELECT owner, expires_at - ${NOW_MS} AS left FROM host_leases WHERE tenant_id = $1 AND host = $2`,
          [key.tenantId, key.host],
        );
        const h = holder.rows[0];
        return {
          ok: false,
          reason: h
            ? `collector ${h.owner} holds host "${key.host}" for ${Math.max(0, Number(h.left))} ms more`
            : `host "${key.host}" could not be taken`,
        };
      }
      await new Promise((r) => setTimeout(r, wait));
    }
  }

  async releaseHost(key: HostKey): Promise<void> {
    const k = hostKeyString(key);
    if (!this.held.delete(k)) return;
    await this.o.pool.query('DELETE FROM host_leases WHERE tenant_id = $1 AND host = $2 AND owner = $3', [
      key.tenantId,
      key.host,
      this.instance,
    ]);
  }

  holds(key: HostKey): boolean {
    return this.held.has(hostKeyString(key));
  }

  onLost(listener: (key: HostKey, reason: string) => void): void {
    this.lostListeners.push(listener);
  }

  onReleaseRequest(listener: (key: HostKey, by: string) => void): void {
    this.releaseListeners.push(listener);
  }

  /** Renews every lease held; the ones not renewed (taken over) are lost, and all are when renewal fails too long. */
  private async renew(): Promise<void> {
    if (this.closed) return;
    try {
      const r = await this.o.pool.query<{ tenant_id: string; host: string }>(
        `UPDATE host_leases SET expires_at = ${NOW_MS} + $2 WHERE owner = $1 RETURNING tenant_id, host`,
        [this.instance, this.o.leaseTtlMs],
      );
      this.lastRenewOk = performance.now();
      const renewed = new Set(r.rows.map((row) => `${row.tenant_id}/${row.host}`));
      for (const k of [...this.held]) if (!renewed.has(k)) this.lose(k, 'its lease was taken over');
    } catch (err) {
      const since = performance.now() - this.lastRenewOk;
      this.o.log.warn(
        { err: (err as Error).message, sinceMs: Math.round(since) },
        'cannot renew host leases',
      );
      // Before the leases can have expired in the database, stop acting on them.
      if (since > (this.o.leaseTtlMs * 2) / 3) {
        for (const k of [...this.held]) this.lose(k, 'its lease could not be renewed in time');
      }
    }
  }

  private lose(k: string, reason: string): void {
    if (!this.held.delete(k)) return;
    const at = k.indexOf('/');
    const key = { tenantId: k.slice(0, at), host: k.slice(at + 1) };
    for (const l of this.lostListeners) l(key, reason);
  }

  // ---- leader ----

  /**
   * Leader, and sure of it: the lock's session answered within the last two elections. A collector waking from
   * a freeze (SIGSTOP, a stalled VM) may have been replaced meanwhile: it does no background work until its
   * next check says whether its session (and so the lock) survived.
   */
  isLeader(): boolean {
    return this.leader && performance.now() - this.leaderCheckedAt <= 2 * this.o.electionEveryMs + 1000;
  }

  onLeadership(listener: (leader: boolean) => void): void {
    this.leadershipListeners.push(listener);
    listener(this.leader);
  }

  private setLeader(leader: boolean): void {
    if (leader === this.leader) return;
    this.leader = leader;
    this.o.log.info(
      { instance: this.instance },
      leader ? 'this collector leads the background work' : 'no longer leader',
    );
    for (const l of this.leadershipListeners) l(leader);
  }

  /** Tries the leader lock, or checks that the session holding it is still alive. */
  private async elect(): Promise<void> {
    if (this.closed) return;
    try {
      if (!this.leaderClient) this.leaderClient = await this.connect('leader');
      const c = this.leaderClient;
      if (this.leader) {
        // Also the leader's heartbeat: its session's query_start, which the others read (below).
        await c.query('SELECT 1');
        this.leaderCheckedAt = performance.now();
        return;
      }
      let won = await this.tryLock(c);
      if (!won && (await this.endFrozenLeader(c))) won = await this.tryLock(c);
      this.setLeader(won);
    } catch (err) {
      // The session is gone, and its lock with it (the server ends it): step down at once.
      this.o.log.warn({ err: (err as Error).message }, 'leader session lost');
      this.setLeader(false);
      const c = this.leaderClient;
      this.leaderClient = undefined;
      await c?.end().catch(() => undefined);
    }
  }

  private async tryLock(c: pg.Client): Promise<boolean> {
    const r = await c.query<{ ok: boolean }>('SELECT pg_try_advisory_lock($1) AS ok', [LEADER_LOCK]);
    const ok = r.rows[0]?.ok === true;
    if (ok) this.leaderCheckedAt = performance.now();
    return ok;
  }

  /**
   * A leader that is alive checks its lock every election, which sets its session's query_start. One whose
   * session has been silent for a whole lease time to live is frozen (its TCP connection may stay up for
   * ever: a stopped process's kernel still answers keepalives): its session is ended, which frees the lock.
   * It steps down when it wakes (its next check fails). Returns whether a session was ended.
   */
  private async endFrozenLeader(c: pg.Client): Promise<boolean> {
    const r = await c.query<{ pid: number; silent_ms: string; application_name: string }>(
      `SELECT a.pid, a.application_name,
              (extract(epoch from (clock_timestamp() - a.query_start)) * 1000)::bigint AS silent_ms
         FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
        WHERE l.locktype = 'advisory' AND l.granted AND l.classid = 0 AND l.objid = $1 AND l.objsubid = 1
          AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())`,
      [LEADER_LOCK],
    );
    const holder = r.rows[0];
    if (!holder || Number(holder.silent_ms) <= this.o.leaseTtlMs) return false;
    this.o.log.warn(
      { leader: holder.application_name, pid: holder.pid, silentMs: Number(holder.silent_ms) },
      'the leader has been silent longer than the lease time to live: ending its session',
    );
    await c.query('SELECT pg_terminate_backend($1)', [holder.pid]);
    // The lock is released as the backend exits: give it a moment.
    for (let i = 0; i < 20; i++) {
      const still = await c.query('SELECT 1 FROM pg_stat_activity WHERE pid = $1', [holder.pid]);
      if (still.rowCount === 0) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    return true;
  }

  // ---- messages between collectors ----

  private async connect(purpose: string): Promise<pg.Client> {
    const c = new pg.Client({
      connectionString: this.o.url,
      application_name: `vigie ${purpose} ${this.instance}`.slice(0, 63),
      keepAlive: true,
      keepAliveInitialDelayMillis: 5000,
    });
    c.on('error', (err) => this.o.log.warn({ err: err.message, purpose }, 'cluster connection error'));
    await c.connect();
    // A collector that vanishes without closing its connection (power, network) must lose its locks soon.
    await c.query(
      'SET tcp_keepalives_idle = 5; SET tcp_keepalives_interval = 2; SET tcp_keepalives_count = 3',
    );
    return c;
  }

  private async listen(): Promise<void> {
    const c = await this.connect('listen');
    c.on('notification', (n) => {
      if (n.channel !== CHANNEL || !n.payload) return;
      let m: Message;
      try {
        m = JSON.parse(n.payload) as Message;
      } catch (err) {
        this.o.log.warn({ err: (err as Error).message }, 'unreadable cluster message');
        return;
      }
      if (m.from === this.instance) return;
      if (m.kind === 'release') {
        const key = { tenantId: m.tenantId, host: m.host };
        if (this.held.has(hostKeyString(key))) for (const l of this.releaseListeners) l(key, m.from);
      } else if (m.kind === 'live') {
        for (const e of m.events) this.o.feed.publish(e);
      }
    });
    c.on('end', () => {
      if (this.closed) return;
      this.o.log.warn({}, 'cluster listen connection ended; reconnecting');
      this.listenClient = undefined;
      setTimeout(
        () =>
          void this.listen().catch((err: Error) => this.o.log.error({ err: err.message }, 'cannot listen')),
        1000,
      ).unref();
    });
    await c.query(`LISTEN ${CHANNEL}`);
    this.listenClient = c;
  }

  private async notify(m: Message): Promise<void> {
    await this.o.pool.query('SELECT pg_notify($1, $2)', [CHANNEL, JSON.stringify(m)]);
  }

  publish(event: LiveEvent): void {
    this.o.feed.publish(event);
    this.outgoing.push(event);
  }

  /** Sends the live events gathered, a few per notification (a payload stays under PostgreSQL's 8000 bytes). */
  private async flushLive(): Promise<void> {
    if (this.outgoing.length === 0) return;
    const seen = new Set<string>();
    // "results" events say only "this host has new results": one per host per flush is enough.
    const events = this.outgoing.filter((e) => {
      if (e.type !== 'results') return true;
      const k = `${e.tenant}/${e.host}`;
      if (seen.has(k)) return false;
      seen.add(k);
      return true;
    });
    this.outgoing = [];
    let chunk: LiveEvent[] = [];
    let size = 0;
    const send = async () => {
      if (chunk.length > 0) await this.notify({ from: this.instance, kind: 'live', events: chunk });
      chunk = [];
      size = 0;
    };
    try {
      for (const e of events) {
        const n = JSON.stringify(e).length + 1;
        if (size + n > 6000) await send();
        chunk.push(e);
        size += n;
      }
      await send();
    } catch (err) {
      this.o.log.warn({ err: (err as Error).message }, 'cannot share live events with the other collectors');
    }
  }

  async connectedHosts(): Promise<Set<string>> {
    const r = await this.o.pool.query<{ tenant_id: string; host: string }>(
      `SELECT tenant_id, host FROM host_leases WHERE expires_at > ${NOW_MS}`,
    );
    return new Set(r.rows.map((row) => `${row.tenant_id}/${row.host}`));
  }

  status(): ClusterStatus {
    return { instance: this.instance, mode: 'postgres', leader: this.isLeader(), hostsOwned: this.held.size };
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const t of this.timers) clearInterval(t);
    await this.flushLive();
    // Hosts still held are given up, so that agents moving to another collector need not wait for expiry.
    await this.o.pool
      .query('DELETE FROM host_leases WHERE owner = $1', [this.instance])
      .catch((err: Error) => this.o.log.warn({ err: err.message }, 'cannot give up host leases'));
    this.held.clear();
    this.setLeader(false);
    await this.leaderClient?.end().catch(() => undefined);
    await this.listenClient?.end().catch(() => undefined);
  }
}
