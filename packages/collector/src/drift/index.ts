// Drift: host snapshots, baselines, production parity reports and drift tickets.
export {
  approveBaseline,
  type BaselineDrift,
  baselineDrift,
  DriftNotFound,
  getBaseline,
} from './baseline.js';
export { getIgnoreSettings, setIgnorePatterns } from './ignore.js';
export { type DriftTables, driftDb, driftMigration } from './migration.js';
export { buildParityReport, type ParityReport, toMarkdown } from './parity.js';
export { registerDriftRoutes } from './routes.js';
export { classifyDifference, DEFAULT_IGNORE, PARITY_RULES, parseVersion } from './rules.js';
export { DriftSync, parityPoints, parityReportFor, refreshItemsSeen } from './service.js';
export { encodeSnapshotItems, listSnapshots, recordItemsSeen, resolveItems } from './snapshots.js';
export { parityCheckId, syncParityTickets } from './tickets.js';
