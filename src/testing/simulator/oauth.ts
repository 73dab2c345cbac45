/**
 * Canvas's OAuth2 token endpoint, refresh grant only: `POST /login/oauth2/token` with
 * `grant_type=refresh_token`, `client_id`, `client_secret` and `refresh_token` (form-encoded,
 * JSON or query; the client may also authenticate with HTTP Basic). Its answers and errors
 * follow Canvas's (`lib/canvas/oauth/request_error.rb`, `grant_types/refresh_token.rb`).
 *
 * @module
 */
import type { OAuthClientOptions } from './options.js';
import type { Prng } from './prng.js';
import { jsonResponse, type SimulatedResponse } from './responses.js';
import { SELF_USER } from './routes.js';
import type { AuthCounter, TokenRegistry } from './token-registry.js';

/** Path of the token endpoint. */
export const TOKEN_PATH = '/login/oauth2/token';

/** Settings of the token endpoint. */
export interface OAuthSettings {
  /** Lifetime of an issued access token, ms. */
  readonly accessTokenTtlMs: number;
  /** A refresh this soon (ms) after the last regeneration returns the same, still valid token. */
  readonly refreshReuseMs: number;
}

/** The access token one refresh token currently stands for (Canvas: one `AccessToken` row). */
interface Grant {
  readonly clientId: string;
  accessToken: string | undefined;
  regeneratedAt: number;
  revoked: boolean;
}

const ERRORS = {
  unknownClient: [401, 'invalid_client', 'unknown client'],
  wrongSecret: [401, 'invalid_client', 'invalid client'],
  noRefreshToken: [
    400,
    'invalid_request',
    'You must provide the refresh_token parameter when using the refresh_token grant type',
  ],
  unknownRefreshToken: [400, 'invalid_request', 'refresh_token not found'],
  incorrectClient: [400, 'invalid_grant', 'incorrect client'],
  unsupportedGrant: [
    400,
    'unsupported_grant_type',
    'The grant_type you requested is not currently supported',
  ],
} as const;

const TOKEN_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/** The token endpoint: refresh tokens, their grants, and the access tokens it issues. */
export class OAuthProvider {
  readonly #secrets = new Map<string, string>();
  readonly #grants = new Map<string, Grant>();

  constructor(
    clients: readonly OAuthClientOptions[],
    private readonly settings: OAuthSettings,
    private readonly registry: TokenRegistry,
    private readonly counter: AuthCounter,
    private readonly clock: () => number,
    private readonly random: Prng,
  ) {
    for (const client of clients) {
      this.#secrets.set(client.clientId, client.clientSecret);
      for (const refreshToken of client.refreshTokens) {
        this.#grants.set(refreshToken, {
          clientId: client.clientId,
          accessToken: undefined,
          regeneratedAt: Number.NEGATIVE_INFINITY,
          revoked: false,
        });
      }
    }
  }

  /** Answers one token request, given its merged parameters and `Authorization` header. */
  token(
    params: Readonly<Record<string, string>>,
    authorization: string | undefined,
  ): SimulatedResponse {
    this.counter.count('refreshRequests');
    const basic = basicCredentials(authorization);
    const clientId = params.client_id || basic?.user;
    const secret = params.client_secret || basic?.password;
    const grantType = params.grant_type || (params.code ? 'authorization_code' : '');
    if (grantType !== 'refresh_token') return this.#error('unsupportedGrant');
    const expected = clientId === undefined ? undefined : this.#secrets.get(clientId);
    if (expected === undefined) return this.#error('unknownClient');
    if (secret !== expected) return this.#error('wrongSecret');
    const refreshToken = params.refresh_token;
    if (!refreshToken) return this.#error('noRefreshToken');
    const grant = this.#grants.get(refreshToken);
    if (grant === undefined || grant.revoked) return this.#error('unknownRefreshToken');
    if (grant.clientId !== clientId) return this.#error('incorrectClient');
    return this.#refresh(grant);
  }

  /** Revokes the grant whose current access token is `accessToken` (its refresh token dies too). */
  revokeAccessToken(accessToken: string): void {
    for (const grant of this.#grants.values()) {
      if (grant.accessToken === accessToken) grant.revoked = true;
    }
  }

  #refresh(grant: Grant): SimulatedResponse {
    const now = this.clock();
    const current = grant.accessToken;
    const reuse =
      current !== undefined &&
      now - grant.regeneratedAt < this.settings.refreshReuseMs &&
      this.registry.state(current) === 'valid';
    let token = current;
    if (!reuse || token === undefined) {
      // Canvas regenerates the token of the same row: the previous one stops working at once.
      if (current !== undefined) this.registry.forget(current);
      token = `1~${this.random.chars(64, TOKEN_ALPHABET)}`;
      this.registry.issue(token, now + this.settings.accessTokenTtlMs);
      grant.accessToken = token;
      grant.regeneratedAt = now;
      this.counter.count('tokensIssued');
    }
    const expiresAt = this.registry.expiresAt(token) ?? now;
    return jsonResponse(200, {
      access_token: token,
      token_type: 'Bearer',
      user: {
        id: SELF_USER.id,
        name: SELF_USER.name,
        global_id: String(SELF_USER.id),
        effective_locale: 'en',
      },
      expires_in: Math.max(0, Math.ceil((expiresAt - now) / 1000)),
    });
  }

  #error(kind: keyof typeof ERRORS): SimulatedResponse {
    this.counter.count('refreshRejected');
    const [status, error, description] = ERRORS[kind];
    return jsonResponse(status, { error, error_description: description });
  }
}

/** User and password of an HTTP Basic `Authorization` header, if it is one. */
function basicCredentials(
  header: string | undefined,
): { user: string; password: string } | undefined {
  const match = /^Basic\s+(\S+)$/i.exec(header?.trim() ?? '');
  if (match?.[1] === undefined) return undefined;
  const decoded = Buffer.from(match[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return colon < 0
    ? undefined
    : { user: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

/** Flattens a token request's query and body (form or JSON) into string parameters; the body wins. */
export function tokenParams(query: URLSearchParams, body: unknown): Record<string, string> {
  const params: Record<string, string> = {};
  for (const [key, value] of query) params[key] = value;
  if (body !== null && typeof body === 'object' && !Array.isArray(body)) {
    for (const [key, value] of Object.entries(body)) {
      if (typeof value === 'string' || typeof value === 'number') params[key] = String(value);
    }
  }
  return params;
}
