import type { ServerResponse } from 'node:http';

/** A response the simulator is about to send. */
export interface SimulatedResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

const JSON_TYPE = 'application/json; charset=utf-8';

/** A JSON response with Canvas's content type. */
export function jsonResponse(status: number, body: unknown): SimulatedResponse {
  return { status, headers: { 'Content-Type': JSON_TYPE }, body: JSON.stringify(body) };
}

/** Canvas's error body: `{"errors":[{"message":...}]}` plus optional extra fields. */
export function errorResponse(
  status: number,
  message: string,
  extra: Record<string, unknown> = {},
  errorExtra: Record<string, unknown> = {},
): SimulatedResponse {
  return jsonResponse(status, { ...extra, errors: [{ message, ...errorExtra }] });
}

const throttleStatusText: Record<403 | 429, string> = {
  403: 'Forbidden',
  429: 'Too Many Requests',
};

/** The throttled answer: text/plain `403 Forbidden (Rate Limit Exceeded)` or its 429 twin. */
export function throttledResponse(status: 403 | 429): SimulatedResponse {
  return {
    status,
    headers: { 'Content-Type': 'text/plain; charset=utf-8' },
    body: `${status} ${throttleStatusText[status]} (Rate Limit Exceeded)\n`,
  };
}

/** Writes a response whole. */
export function send(res: ServerResponse, response: SimulatedResponse): void {
  const body = Buffer.from(response.body, 'utf8');
  res.writeHead(response.status, { ...response.headers, 'Content-Length': String(body.length) });
  res.end(body);
}

/** Sends the headers (announcing the full length) and part of the body, then resets the connection. */
export function sendThenReset(res: ServerResponse, response: SimulatedResponse): void {
  const body = Buffer.from(response.body, 'utf8');
  res.writeHead(response.status, { ...response.headers, 'Content-Length': String(body.length) });
  res.write(body.subarray(0, Math.max(1, Math.floor(body.length / 2))), () => {
    res.socket?.resetAndDestroy();
  });
}

/** Cuts a JSON text short so that it no longer parses. */
export function truncateJson(text: string): string {
  const cut = text.slice(0, Math.max(1, Math.floor(text.length / 2)));
  return cut.endsWith('}') || cut.endsWith(']') ? cut.slice(0, -1) : cut;
}

/** Converts numeric `id` and `*_id` fields to strings (`Accept: application/json+canvas-string-ids`). */
export function stringifyIds(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(stringifyIds);
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const [key, field] of Object.entries(value)) {
    out[key] =
      typeof field === 'number' && (key === 'id' || key.endsWith('_id'))
        ? String(field)
        : stringifyIds(field);
  }
  return out;
}
