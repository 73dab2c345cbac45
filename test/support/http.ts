import type { CanvasSimulator } from '../../src/testing/index.js';

/** A response read whole, headers lower-cased. */
export interface RawResponse {
  readonly status: number;
  readonly headers: Headers;
  readonly text: string;
}

/** Options of {@link call}. */
export interface CallOptions {
  readonly token?: string | null;
  readonly method?: string;
  readonly headers?: Record<string, string>;
  readonly body?: string;
}

/** Sends one request to the simulator and reads the whole body. */
export async function call(
  sim: CanvasSimulator,
  pathOrUrl: string,
  options: CallOptions = {},
): Promise<RawResponse> {
  const token = options.token === undefined ? sim.token : options.token;
  const headers: Record<string, string> = { ...options.headers };
  if (token !== null) headers.Authorization = `Bearer ${token}`;
  const url = pathOrUrl.startsWith('http') ? pathOrUrl : `${sim.url}${pathOrUrl}`;
  const init: RequestInit = { method: options.method ?? 'GET', headers };
  if (options.body !== undefined) init.body = options.body;
  const res = await fetch(url, init);
  return { status: res.status, headers: res.headers, text: await res.text() };
}

/** Parses a JSON body, failing the test with the raw text when it is not JSON. */
export function json<T = unknown>(res: RawResponse): T {
  try {
    return JSON.parse(res.text) as T;
  } catch {
    throw new Error(`Expected JSON, got ${res.status}: ${res.text.slice(0, 200)}`);
  }
}

/** Parses a Canvas `Link` header into rel → URL. */
export function links(res: RawResponse): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of (res.headers.get('link') ?? '').split(',')) {
    const match = /^<([^>]+)>; rel="([a-z]+)"$/.exec(part);
    if (match?.[1] !== undefined && match[2] !== undefined) out[match[2]] = match[1];
  }
  return out;
}

/** Waits until `predicate` holds, polling every few ms; fails after `timeoutMs`. */
export async function until(predicate: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error('Timed out waiting for condition');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** Record `index` of a lazy list, failing the test when it is missing. */
export function nth<T>(list: { at(index: number): T | undefined } | undefined, index = 0): T {
  const item = list?.at(index);
  if (item === undefined) throw new Error(`No record at index ${index}`);
  return item;
}
