import type { IncomingMessage } from 'node:http';

const MAX_BODY_BYTES = 1024 * 1024;

/**
 * Reads a request body as Canvas would accept it: JSON, or form-encoded with
 * Rails-style brackets (`submission[posted_grade]=90` → `{submission: {posted_grade: '90'}}`).
 * Returns `undefined` for an empty or unparsable body.
 */
export async function readBody(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buffer = chunk as Buffer;
    size += buffer.length;
    if (size > MAX_BODY_BYTES) return undefined;
    chunks.push(buffer);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  if (text === '') return undefined;
  const type = req.headers['content-type'] ?? '';
  if (type.includes('json')) {
    try {
      return JSON.parse(text) as unknown;
    } catch {
      return undefined;
    }
  }
  if (type.includes('application/x-www-form-urlencoded')) return parseForm(text);
  return undefined;
}

function parseForm(text: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of new URLSearchParams(text)) {
    const parts = key.split(/[[\]]+/).filter((part) => part !== '');
    let target = out;
    for (const [index, part] of parts.entries()) {
      if (index === parts.length - 1) {
        target[part] = value;
      } else {
        const next = target[part];
        const child =
          next !== null && typeof next === 'object' ? (next as Record<string, unknown>) : {};
        target[part] = child;
        target = child;
      }
    }
  }
  return out;
}
