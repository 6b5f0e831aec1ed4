// @vigie/collector: the public surface used by tests and benchmarks.
export { buildCollector, type Collector } from './app.js';
export { type CollectorConfig, loadCollectorConfig } from './config/load.js';
export { type CollectorConfigInput, CollectorConfigSchema } from './config/schema.js';
export { verifySignature } from './connectors/webhook/signature.js';
export { windowRunsBetween } from './maintenance/store.js';
export { collectorMigrations } from './schema-migrations.js';
export { createAgentToken, createApiKey, revokeAgentToken } from './store/credentials.js';
export { createEnrollment, redeemEnrollment } from './store/enrollments.js';
export { openStore, type Store, type StoreConfig } from './store/open.js';
export { addTenant } from './store/tenants.js';
