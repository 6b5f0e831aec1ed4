// @vigie/agent: the public surface used by tests and benchmarks.
export { startAgent } from './agent.js';
export { ConfigError, loadConfigFile, parseConfig } from './config/load.js';
export type { AgentConfig, CheckDefinition } from './config/schema.js';
export { MemoryOutbox } from './outbox/outbox.js';
export { runAllOnce, Scheduler } from './scheduler.js';
export { CollectorClient } from './transport/client.js';
