import { describe, expect, it } from 'vitest';
import { tenantsIn } from './hook.js';

describe('tenants an answer shows', () => {
  it('finds tenant-named keys in objects and lists, a few levels deep', () => {
    const found = new Set<string>();
    tenantsIn(
      [
        { id: 't1', tenant: 'acme', nested: { tenantId: 'globex' } },
        { id: 't2', tenant_id: 'initech', data: { rows: [{ tenant: 'umbrella' }] } },
        { tenant: 42, name: 'not a tenant id' },
      ],
      found,
    );
    expect([...found].sort()).toEqual(['acme', 'globex', 'initech', 'umbrella']);
  });
});
