/**
 * The handle of a running simulator, as `startCanvasSimulator` returns it.
 *
 * @module
 */
import type { BucketSettings } from './bucket.js';
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
