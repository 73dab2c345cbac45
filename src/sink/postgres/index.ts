/**
 * `canvas-sync/sinks/postgres`: {@link PostgresSink}, a sink on a PostgreSQL database. On its own
 * subpath so that importing `canvas-sync` never loads `pg` (an optional peer dependency: install
 * `pg` 8 to use it).
 *
 * @module
 */
export type { PostgresSinkOptions } from './postgres-sink.js';
export { PostgresSink } from './postgres-sink.js';
