import { z } from 'zod';
import { CanvasOptionsError, CanvasTokenError } from '../errors/index.js';
import { SecretRedactor } from '../errors/secret-redactor.js';
import { type FetchLike, parseBaseUrl } from './client-options.js';
import type { TokenProvider } from './token-source.js';

/**
 * Options of {@link refreshTokenProvider}.
 * @category Client
 */
export interface RefreshTokenProviderOptions {
  /** Root of the Canvas instance, as given to the client (`https://`, or `http://` on loopback). */
  baseUrl: string | URL;
  /** The developer key's id (`client_id`). */
  clientId: string;
  /** The developer key's secret (`client_secret`). Never put in an error. */
  clientSecret: string;
  /** The refresh token from the user's authorization. Canvas keeps it valid; never put in an error. */
  refreshToken: string;
  /** A custom `fetch`. @defaultValue globalThis.fetch */
  fetch?: FetchLike;
  /** Time allowed for one refresh, in ms. @defaultValue 30000. Range: 1..2147483647 */
  timeoutMs?: number;
}

const secret = z
  .string({ error: 'must be a string' })
  .min(1, { error: 'must not be empty' })
  .refine((value) => !/\s/.test(value), { error: 'must not contain whitespace' });

const optionsSchema = z.strictObject({
  baseUrl: z.union([z.string(), z.instanceof(URL)]),
  clientId: secret,
  clientSecret: secret,
  refreshToken: secret,
  fetch: z.function().optional(),
  timeoutMs: z
    .number()
    .int()
    .positive()
    .max(2 ** 31 - 1)
    .optional(),
});

/**
 * A {@link TokenProvider} that gets access tokens from Canvas's OAuth2 endpoint
 * (`POST /login/oauth2/token`, `grant_type=refresh_token`), for developer-key tokens, which
 * expire after an hour. Give it as the client's `token`: the client calls it before its first
 * request and again when Canvas answers "Expired access token.". Concurrent calls share one
 * refresh. The request goes to `baseUrl`'s origin only (redirects are not followed); the client
 * secret and refresh token are redacted by value from its errors.
 *
 * @throws CanvasOptionsError when an option is invalid (no secret is quoted).
 * @returns The provider; it rejects with {@link CanvasTokenError} when the endpoint refuses
 *   (`oauthError` is Canvas's `invalid_grant`, `invalid_client`, …) or cannot be reached.
 *
 * @example
 * ```ts
 * const canvas = new CanvasSyncClient({
 *   baseUrl,
 *   token: refreshTokenProvider({ baseUrl, clientId, clientSecret, refreshToken }),
 * });
 * ```
 * @category Client
 */
export function refreshTokenProvider(options: RefreshTokenProviderOptions): TokenProvider {
  const parsed = optionsSchema.safeParse(options);
  if (!parsed.success)
    throw CanvasOptionsError.fromZod(parsed.error, 'refreshTokenProvider options');
  const baseUrl = parseBaseUrl(parsed.data.baseUrl, 'refreshTokenProvider options');
  const prefix = baseUrl.pathname.replace(/\/+$/, '');
  const endpoint = new URL(`${baseUrl.origin}${prefix}/login/oauth2/token`);
  const fetch = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
  const timeoutMs = parsed.data.timeoutMs ?? 30_000;
  const redactor = new SecretRedactor();
  redactor.add(options.clientSecret);
  redactor.add(options.refreshToken);
  const body = new URLSearchParams({
    grant_type: 'refresh_token',
    client_id: options.clientId,
    client_secret: options.clientSecret,
    refresh_token: options.refreshToken,
  }).toString();

  let pending: Promise<string> | undefined;
  const refresh = async (): Promise<string> => {
    let response: Response;
    let text: string;
    try {
      response = await fetch(endpoint, {
        method: 'POST',
        headers: {
          'Content-Type': 'application/x-www-form-urlencoded',
          Accept: 'application/json',
        },
        body,
        redirect: 'manual',
        signal: AbortSignal.timeout(timeoutMs),
      });
      text = await response.text();
    } catch (error) {
      throw redactor.redactError(new CanvasTokenError({ reason: 'provider-failed', cause: error }));
    }
    const json = parseObject(text);
    if (!response.ok) {
      const oauthError = typeof json?.error === 'string' ? json.error : undefined;
      throw new CanvasTokenError({ reason: 'oauth-error', status: response.status, oauthError });
    }
    const token = json?.access_token;
    if (typeof token !== 'string' || token === '' || /\s/.test(token)) {
      throw new CanvasTokenError({ reason: 'invalid-token' });
    }
    return token;
  };
  return () => {
    pending ??= refresh().finally(() => {
      pending = undefined;
    });
    return pending;
  };
}

function parseObject(text: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}
