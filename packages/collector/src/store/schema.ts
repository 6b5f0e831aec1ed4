// Table shapes of the state store, shared by the SQLite and PostgreSQL dialects (times are ISO-8601 UTC text).
export interface TenantTable {
  id: string;
  name: string;
  created_at: string;
  /** The SLA contract (calendar and targets) as JSON; null: the collector's default contract. */
  contract?: string | null;
  /** Archived (the contract ended): its agents are revoked, its history kept. Migration 0009. */
  archived_at?: string | null;
  archived_by?: string | null;
  /** The IANA zone the page shows this tenant's times in; null: its contract calendar's, else UTC. */
  time_zone?: string | null;
  /** Language of texts sent to this tenant (e-mail notifications): `fr` or `en`; null: the connector's. */
  locale?: string | null;
}

export interface AgentTokenTable {
  id: string;
  tenant_id: string;
  token_hash: string;
  /** When set, the token may only report for this host name. */
  host: string | null;
  created_at: string;
  revoked_at: string | null;
}

export interface AgentTable {
  id: string;
  tenant_id: string;
  token_id: string;
  host: string;
  environment: string;
  application: string;
  version: string;
  first_seen: string;
  last_seen: string;
  /** The agent's clock minus the collector's, as last measured (protocol 2 agents); null when unknown. */
  clock_skew_ms?: number | null;
  protocol_version?: number | null;
  /** Decommissioned: credential revoked, no silence detection, history kept. Migration 0009. */
  decommissioned_at?: string | null;
  decommissioned_by?: string | null;
}

export interface ApiKeyTable {
  id: string;
  key_hash: string;
  /** null: a provider key that sees every tenant. */
  tenant_id: string | null;
  name: string;
  created_at: string;
  revoked_at: string | null;
  /** `provider` (works tickets) or `client` (read-only: comments and requests). Migration 0009. */
  role?: string;
  /** The page's language for this key's user: `fr` or `en`; null: the browser's. */
  locale?: string | null;
}

export interface CheckStateTable {
  tenant_id: string;
  host: string;
  check_id: string;
  type: string;
  category: string;
  status: string;
  agent_status: string;
  message: string;
  metrics: string;
  observed_at: string;
  result_id: string;
  /** Soft/hard state memory (JSON of CheckMemory). */
  memory?: string;
  /** Which threshold rule applied to each metric (JSON). */
  rules?: string;
}

export interface SeenResultTable {
  result_id: string;
  tenant_id: string;
  received_at: string;
}

export interface TicketTable {
  id: string;
  tenant_id: string;
  host: string;
  check_id: string;
  dedup_key: string;
  status: string;
  severity: string;
  title: string;
  message: string;
  occurrences: number;
  opened_at: string;
  last_seen_at: string;
  resolved_at: string | null;
  updated_at: string;
  kind?: string;
  priority?: string;
  support_level?: string;
  environment?: string;
  application?: string;
  acknowledged_at?: string | null;
  closed_at?: string | null;
  assignee?: string | null;
  response_due_at?: string | null;
  resolution_due_at?: string | null;
  /** Comma-separated: response_at_risk, response_breached, resolution_at_risk, resolution_breached. */
  sla_flags?: string;
  reopened?: number;
  waiting_since?: string | null;
  paused_ms?: number;
  /** Finished waits for the client, JSON [{from, to}]: the SLA clock does not run during them. */
  pauses?: string;
}

export interface TicketEventTable {
  id: string;
  ticket_id: string;
  at: string;
  kind: string;
  actor: string;
  details: string;
}

export interface DriftSnapshotTable {
  id: string;
  tenant_id: string;
  host: string;
  check_id: string;
  taken_at: string;
  full: number;
  items: string;
  received_at: string;
}

export interface AgentEventTable {
  id: string;
  tenant_id: string;
  host: string;
  kind: string;
  at: string;
  details: string;
  received_at: string;
}

export interface EnrollmentTable {
  id: string;
  tenant_id: string;
  token_hash: string;
  /** When set, the agent enrolled with it may only report as this host. */
  host: string | null;
  created_at: string;
  expires_at: string;
  used_at: string | null;
  agent_token_id: string | null;
}

export interface Database {
  agent_events: AgentEventTable;
  enrollments: EnrollmentTable;
  tenants: TenantTable;
  agent_tokens: AgentTokenTable;
  agents: AgentTable;
  api_keys: ApiKeyTable;
  check_states: CheckStateTable;
  seen_results: SeenResultTable;
  tickets: TicketTable;
  ticket_events: TicketEventTable;
  drift_snapshots: DriftSnapshotTable;
}
