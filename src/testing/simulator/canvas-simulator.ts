/**
 * The handle of a running simulator, as `startCanvasSimulator` returns it.
 *
 * @module
 */
import type { BucketSettings } from './bucket.js';
import type { SimulatorChangeOptions, SimulatorChangeReport } from './change-types.js';
import type { Institution } from './data.js';
import type { FaultCounts } from './faults.js';
import type { ForbiddenRule, SimulatorFaults } from './options.js';
import type { TokenStats } from './token-meter.js';
import type { AuthCounts } from './token-registry.js';

/**
 * A running Canvas simulator.
 * @category Testing
 */
export interface CanvasSimulator {
  /** Base URL, e.g. `http://127.0.0.1:41234` (no trailing slash). */
  readonly url: string;
  /** The first valid token: what most tests need. */
  readonly token: string;
  /** Every valid (throttled) token. */
  readonly tokens: readonly string[];
  /** The generated institution the simulator serves (ground truth for assertions). */
  readonly data: Institution;
  /** The bucket parameters in force. */
  readonly bucket: BucketSettings;
  /**
   * Changes the institution, as Canvas's data changes between two sync runs: grades and submits
   * submissions, adds and drops student enrollments, adds page views and edits discussion
   * entries, as many of each as `options` says, chosen from a seed (the same seed and counts,
   * on an institution in the same state, make the same changes). Every request from then on, and
   * {@link CanvasSimulator.data}, sees them; unchanged records still cost no memory.
   *
   * Returns exactly what changed: the changes by kind with their ids, every listing they touch
   * with the ids it inserts, updates and deletes, and the counts by task kind a second sync of
   * every listing should report. Dates are `options.at` (default: the simulator's wall clock
   * now), to the second. Enrollment `grades` and analytics figures are not recomputed (Canvas
   * does that later, in the background); rosters (users, submissions, summaries, section and
   * course `total_students`) follow the enrollments at once.
   *
   * @example
   * ```ts
   * const report = sim.change({ grade: 10, submit: 5, addEnrollments: 3, dropEnrollments: 2 });
   * report.byKind['assignment.submissions']; // { inserted: …, updated: 15, deleted: … }
   * ```
   * @throws TypeError for invalid options (every offending field is named).
   */
  change(options?: SimulatorChangeOptions): SimulatorChangeReport;
  /** What the simulator saw of a token (default: {@link CanvasSimulator.token}). */
  stats(token?: string): TokenStats;
  /** How many faults of each kind were injected. */
  faultCounts(): FaultCounts;
  /** Replaces the fault settings; validated like the start options. `{}` turns faults off. */
  setFaults(faults: SimulatorFaults): void;
  /** Replaces the permission rules (401 without `WWW-Authenticate`). */
  setForbidden(rules: readonly ForbiddenRule[]): void;
  /**
   * Expires a token now, by the simulator's clock: from then on requests with it get 401
   * `Expired access token.` with `WWW-Authenticate`. Works for configured tokens and for
   * tokens issued by `POST /login/oauth2/token` (whose refresh token keeps working).
   *
   * @throws TypeError for a token the simulator does not accept (unknown or replaced).
   */
  expireToken(token: string): void;
  /**
   * Revokes a token: from then on requests with it get 401 `Revoked access token.` with
   * `WWW-Authenticate`. Revoking an issued token also revokes its refresh token (the token
   * endpoint then answers `invalid_request`, `refresh_token not found`), as in Canvas.
   *
   * @throws TypeError for a token the simulator does not accept (unknown or replaced).
   */
  revokeToken(token: string): void;
  /** How token refreshes were answered and how many requests were refused for their token. */
  authCounts(): AuthCounts;
  /** Sets a token's bucket level now, e.g. to simulate another process using the same token. */
  setBucketLevel(level: number, token?: string): void;
  /**
   * Clears counters (token stats, fault and auth counts), samples and collection changes;
   * buckets keep their level and tokens their state.
   */
  resetStats(): void;
  /** Stops listening and drops open connections. */
  close(): Promise<void>;
}
