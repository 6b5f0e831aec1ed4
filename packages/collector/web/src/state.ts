// What the page knows: who is signed in, the tenants, the fleet and the queue as last fetched, its filters.
import type { Agent, Me, Tenant, Ticket, Window } from './types';

export interface QueueFilters {
  severity: string;
  priority: string;
  status: string;
  tenant: string;
  application: string;
  category: string;
  sla: string;
  text: string;
  /** Fleet tile filters: only hosts with this worst status, or silent ones. */
  hosts: '' | 'critical' | 'warning' | 'silent' | 'maintenance';
}

export const EMPTY_FILTERS: QueueFilters = {
  severity: '',
  priority: '',
  status: '',
  tenant: '',
  application: '',
  category: '',
  sla: '',
  text: '',
  hosts: '',
};

export const state = {
  key: sessionStorage.getItem('vigie-key') ?? '',
  me: undefined as Me | undefined,
  tenants: [] as Tenant[],
  agents: [] as Agent[],
  tickets: [] as Ticket[],
  windows: [] as Window[],
  /** When the tickets were fetched (this browser's clock): countdowns run from it. */
  fetchedAt: 0,
  tenantFilter: sessionStorage.getItem('vigie-tenant') ?? '',
  filters: { ...EMPTY_FILTERS } as QueueFilters,
  selected: undefined as string | undefined,
  ticketOpen: undefined as string | undefined,
  hostOpen: undefined as { tenant: string; host: string } | undefined,
  appOpen: undefined as { tenant: string; application: string } | undefined,
};

export const isClient = (): boolean => state.me?.role === 'client';
export const isProvider = (): boolean => state.me?.role === 'provider';
