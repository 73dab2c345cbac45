/**
 * Which access tokens the simulator accepts, and why it refuses the others: the tokens given
 * as options, the tokens its OAuth2 endpoint issues (each with an expiry by the simulator's
 * clock), and the tokens tests expire or revoke.
 *
 * @module
 */

/** What the simulator makes of an access token. */
export type TokenState = 'valid' | 'invalid' | 'expired' | 'revoked';

/** The token options of the simulator, as given. */
export interface TokenRegistryOptions {
  readonly tokens: readonly string[];
  readonly allowlisted: readonly string[];
  readonly blocked: readonly string[];
  readonly expired: readonly string[];
  readonly revoked: readonly string[];
}

/** Every token the simulator knows, with its state. */
export class TokenRegistry {
  readonly #valid: Set<string>;
  readonly #allowlisted: Set<string>;
  readonly #blocked: Set<string>;
  readonly #expired: Set<string>;
  readonly #revoked: Set<string>;
  /** Issued tokens: the clock time (ms) at which each expires. */
  readonly #expiresAt = new Map<string, number>();

  constructor(
    options: TokenRegistryOptions,
    private readonly clock: () => number,
  ) {
    this.#allowlisted = new Set(options.allowlisted);
    this.#blocked = new Set(options.blocked);
    this.#expired = new Set(options.expired);
    this.#revoked = new Set(options.revoked);
    this.#valid = new Set([...options.tokens, ...options.allowlisted]);
  }

  /** Whether `token` is accepted now, or why not. Revoked beats expired beats valid. */
  state(token: string): TokenState {
    if (this.#revoked.has(token)) return 'revoked';
    if (this.#expired.has(token)) return 'expired';
    const expiresAt = this.#expiresAt.get(token);
    if (expiresAt !== undefined) return this.clock() >= expiresAt ? 'expired' : 'valid';
    return this.#valid.has(token) ? 'valid' : 'invalid';
  }

  /** Whether `token` is never throttled. */
  isAllowlisted(token: string): boolean {
    return this.#allowlisted.has(token);
  }

  /** Whether `token` is always throttled. */
  isBlocked(token: string): boolean {
    return this.#blocked.has(token);
  }

  /** Accepts `token` until the clock reaches `expiresAt` (ms). */
  issue(token: string, expiresAt: number): void {
    this.#expiresAt.set(token, expiresAt);
  }

  /** Forgets an issued token: from now on it is invalid, as a token Canvas regenerated. */
  forget(token: string): void {
    this.#expiresAt.delete(token);
  }

  /** The clock time (ms) at which an issued token expires, or `undefined` for other tokens. */
  expiresAt(token: string): number | undefined {
    return this.#expiresAt.get(token);
  }

  /**
   * Expires a known token now: requests with it get 401 `Expired access token.`
   *
   * @throws TypeError for a token the simulator does not know.
   */
  expire(token: string): void {
    this.#assertKnown(token);
    if (this.#expiresAt.has(token)) this.#expiresAt.set(token, this.clock());
    else this.#expired.add(token);
  }

  /**
   * Revokes a known token: requests with it get 401 `Revoked access token.`
   *
   * @throws TypeError for a token the simulator does not know.
   */
  revoke(token: string): void {
    this.#assertKnown(token);
    this.#revoked.add(token);
  }

  #assertKnown(token: string): void {
    if (this.state(token) === 'invalid') {
      throw new TypeError(
        'Unknown access token: the simulator expires or revokes only tokens it knows',
      );
    }
  }
}

/**
 * How the simulator answered token refreshes and refused tokens.
 * @category Testing
 */
export interface AuthCounts {
  /** Requests to `POST /login/oauth2/token`, whatever their answer. */
  readonly refreshRequests: number;
  /** Access tokens the token endpoint generated (a refresh answered with the same token is not counted). */
  readonly tokensIssued: number;
  /** Token-endpoint requests answered 400 or 401 (`invalid_client`, `invalid_request`, …). */
  readonly refreshRejected: number;
  /** API requests without any token (401 `user authorization required`). */
  readonly unauthenticated: number;
  /** API requests answered 401 `Invalid access token.` */
  readonly invalidToken: number;
  /** API requests answered 401 `Expired access token.` */
  readonly expiredToken: number;
  /** API requests answered 401 `Revoked access token.` */
  readonly revokedToken: number;
}

/** Mutable {@link AuthCounts}. */
export class AuthCounter {
  #counts: { -readonly [K in keyof AuthCounts]: number } = AuthCounter.#zero();

  static #zero() {
    return {
      refreshRequests: 0,
      tokensIssued: 0,
      refreshRejected: 0,
      unauthenticated: 0,
      invalidToken: 0,
      expiredToken: 0,
      revokedToken: 0,
    };
  }

  /** Adds one to a counter. */
  count(kind: keyof AuthCounts): void {
    this.#counts[kind]++;
  }

  /** A copy of the counters. */
  snapshot(): AuthCounts {
    return { ...this.#counts };
  }

  /** Sets every counter to 0. */
  reset(): void {
    this.#counts = AuthCounter.#zero();
  }
}
