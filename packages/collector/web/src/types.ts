// The shapes the page reads from the API (see GET /openapi.json).

export interface Me {
  keyId: string;
  name: string;
  role: 'provider' | 'client';
  tenant: string | null;
  locale: 'en' | 'fr' | null;
}

export interface Tenant {
  id: string;
  name: string;
  createdAt: string;
  archivedAt: string | null;
  timeZone: string;
  timeZoneSetting: string | null;
  locale: 'en' | 'fr' | null;
}

export interface CheckStatus {
  checkId: string;
  type: string;
  category: string;
  status: string;
  agentStatus: string;
  message: string;
  observedAt: string;
  metrics: Record<string, number>;
}

export interface Agent {
  id: string;
  tenant: string;
  host: string;
  environment: string;
  application: string;
  version: string;
  firstSeen: string;
  lastSeen: string;
  connected: boolean;
  decommissionedAt: string | null;
  /** The agent's clock minus the collector's (protocol 2 agents); null when not measured. */
  clockSkewMs: number | null;
  checks: CheckStatus[];
}

export interface Countdown {
  phase: 'response' | 'resolution';
  dueAt: string;
  remainingMs: number;
  targetMs: number;
  running: boolean;
  stoppedBy: 'client' | 'maintenance' | 'hours' | null;
  calendar: '24x7' | 'business';
  timeZone: string | null;
  asOf: string;
}

export interface Ticket {
  id: string;
  tenant: string;
  host: string;
  application: string;
  environment: string;
  checkId: string;
  kind: string;
  status: string;
  severity: string;
  priority: string;
  supportLevel: string;
  title: string;
  message: string;
  occurrences: number;
  assignee: string | null;
  openedAt: string;
  lastSeenAt: string;
  acknowledgedAt: string | null;
  resolvedAt: string | null;
  closedAt: string | null;
  responseDueAt: string | null;
  resolutionDueAt: string | null;
  waitingSince: string | null;
  sla: {
    responseAtRisk: boolean;
    responseBreached: boolean;
    resolutionAtRisk: boolean;
    resolutionBreached: boolean;
  };
  category?: string;
  countdown?: Countdown | null;
  maintenance?: { id: string; reason: string; until: string | null } | null;
}

export interface TimelineEvent {
  id: string;
  at: string;
  kind: string;
  actor: string;
  details: Record<string, unknown> | null;
}

export interface Window {
  id: string;
  tenant: string;
  application: string | null;
  host: string | null;
  checkId: string | null;
  kind: string;
  startsAt: string;
  endsAt: string | null;
  recurrence: {
    every: 'day' | 'week';
    days?: number[];
    at: string;
    duration: string;
    timeZone: string;
  } | null;
  reason: string;
  createdBy: string;
  createdAt: string;
  endedAt: string | null;
  endedBy: string | null;
  active: boolean;
  nextRun: { from: string; to: string | null } | null;
}

export interface Point {
  measurement: string;
  field: string;
  instance?: string;
  check: string;
  time: number;
  value: number;
}

export interface Threshold {
  checkId: string;
  metric: string;
  rule: string;
  direction: 'above' | 'below';
  warning: number | null;
  critical: number | null;
}

export interface Difference {
  item: string;
  production: string | null;
  other: string | null;
  severity: 'critical' | 'warning' | 'info';
  rule: string;
  reason: string;
  firstSeenAt: string;
  decision?: 'ignore' | 'accept';
  decidedBy?: string;
  decidedAt?: string;
}

export interface ParityReport {
  tenant: string;
  application: string;
  generatedAt: string;
  reference: { host: string; environment: string; takenAt: string };
  comparisons: Array<{
    environment: string;
    host: string;
    takenAt: string;
    differences: Difference[];
    reviewed?: Difference[];
    counts: { critical: number; warning: number; info: number };
    atParity: boolean;
    ignoredItems: number;
  }>;
  ignore: string[];
  notes: string[];
}
