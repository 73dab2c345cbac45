import { CanvasTokenError } from '../errors/index.js';
import type { SecretRedactor } from '../errors/secret-redactor.js';

/**
 * Returns an access token: called once before the first request, and again (once per
 * request at most) when Canvas answers 401 "Expired access token.". Developer-key tokens
 * issued after 2015 expire after an hour; {@link refreshTokenProvider} gets new ones with an
 * OAuth2 refresh token.
 * @category Client
 */
export type TokenProvider = () => Promise<string>;

/** A token, fixed or from a provider, as the client uses it. */
export class TokenSource {
  readonly #provider: TokenProvider | undefined;
  readonly #redactor: SecretRedactor;
  #current: string | undefined;
  #pending: Promise<string> | undefined;

  constructor(token: string | TokenProvider, redactor: SecretRedactor) {
    this.#redactor = redactor;
    if (typeof token === 'string') {
      this.#current = token;
      redactor.add(token);
    } else {
      this.#provider = token;
    }
  }

  /** Whether a new token can be asked for (a provider was given). */
  get refreshable(): boolean {
    return this.#provider !== undefined;
  }

  /** The current token, if there is one now (no provider call pending). */
  get current(): string | undefined {
    return this.#current;
  }

  /** The current token, asking the provider the first time. */
  get(): Promise<string> {
    if (this.#current !== undefined) return Promise.resolve(this.#current);
    return this.#fetch();
  }

  /**
   * A new token in place of `rejected`. When another request has already replaced `rejected`,
   * its replacement is returned without asking the provider again.
   */
  refresh(rejected: string): Promise<string> {
    if (this.#current !== undefined && this.#current !== rejected) {
      return Promise.resolve(this.#current);
    }
    this.#current = undefined;
    return this.#fetch();
  }

  /** Whether `token` was a provider's token that a newer one has replaced. */
  replaced(token: string): boolean {
    return this.#provider !== undefined && this.#current !== undefined && this.#current !== token;
  }

  /** One call of the provider at a time; concurrent callers share it. A failure is not kept. */
  #fetch(): Promise<string> {
    const provider = this.#provider;
    if (provider === undefined)
      return Promise.reject(new CanvasTokenError({ reason: 'invalid-token' }));
    this.#pending ??= (async () => {
      let token: unknown;
      try {
        token = await provider();
      } catch (error) {
        if (error instanceof CanvasTokenError) throw this.#redactor.redactError(error);
        throw this.#redactor.redactError(
          new CanvasTokenError({ reason: 'provider-failed', cause: error }),
        );
      } finally {
        this.#pending = undefined;
      }
      if (typeof token !== 'string' || token.trim() === '' || /\s/.test(token)) {
        throw new CanvasTokenError({ reason: 'invalid-token' });
      }
      this.#redactor.add(token);
      this.#current = token;
      return token;
    })();
    return this.#pending;
  }
}
