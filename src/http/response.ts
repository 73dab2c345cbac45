/**
 * What a successful request returns.
 * @category Client
 */
export interface CanvasResponse<T> {
  /** The parsed JSON body (`undefined` for an empty body). */
  readonly data: T;
  readonly status: number;
  readonly headers: Headers;
  /** The URL requested, `access_token` removed. */
  readonly url: string;
  /** Canvas's rate-limit headers of this response. */
  readonly rateLimit: { readonly remaining: number | undefined; readonly cost: number | undefined };
  /** `X-Request-Context-Id`, worth quoting to Instructure support. */
  readonly requestContextId: string | undefined;
  /** Attempts it took, throttled ones included. */
  readonly attempts: number;
}
