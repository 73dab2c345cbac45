/**
 * What a successful request returns.
 * @category Client
 */
export interface CanvasResponse<T> {
  /**
   * The parsed JSON body (`undefined` for an empty body), put through the client's `sanitizer`
   * option first when it has one.
   */
  readonly data: T;
  /**
   * HTTP status of the final response: 2xx, or a 3xx that is not a redirect to follow (such as
   * 304). Other statuses end in an error instead.
   */
  readonly status: number;
  /** Headers of the final response, after any same-origin redirects. */
  readonly headers: Headers;
  /** The URL requested, `access_token` removed. */
  readonly url: string;
  /** Canvas's rate-limit headers of this response. */
  readonly rateLimit: {
    /**
     * `X-Rate-Limit-Remaining`, in cost units: the bucket's high-water mark minus its fill, so it
     * can be negative. `undefined` when absent or not a number.
     */
    readonly remaining: number | undefined;
    /**
     * `X-Request-Cost`, in cost units (CPU and database seconds); `undefined` when absent or not
     * a number.
     */
    readonly cost: number | undefined;
  };
  /** `X-Request-Context-Id`, worth quoting to Instructure support. */
  readonly requestContextId: string | undefined;
  /** Attempts it took, throttled ones included. */
  readonly attempts: number;
}
