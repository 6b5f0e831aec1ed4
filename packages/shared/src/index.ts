// @vigie/shared: the contract between agent and collector.
export * from './duration.js';
export * from './ids.js';
export * from './protocol/messages.js';
export * from './protocol/parse.js';
export * from './protocol/screen.js';
export * from './protocol/version.js';
export * from './result.js';
