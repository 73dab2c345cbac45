/**
 * `canvas-sync/sinks/sqlite`: {@link SqliteSink}, a sink on one SQLite database file. On its own
 * subpath so that importing `canvas-sync` never loads `@libsql/client` (an optional dependency,
 * installed by default).
 *
 * @module
 */
export type { SqliteSinkOptions } from './sqlite-options.js';
export { SqliteSink } from './sqlite-sink.js';
