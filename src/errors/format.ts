/** Small text helpers of the error messages (pure). */

export function originOf(location: string | URL | undefined): string | undefined {
  if (location === undefined) return undefined;
  try {
    const origin = new URL(location).origin;
    return origin === 'null' ? undefined : origin;
  } catch {
    return undefined;
  }
}

export function truncate(text: string, max: number): string {
  if (text.length <= max) return text;
  let cut = text.slice(0, max);
  // Do not leave half of a surrogate pair.
  if (/[\uD800-\uDBFF]$/.test(cut)) cut = cut.slice(0, -1);
  return cut;
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function plural(count: number, one: string, many: string): string {
  return `${count} ${count === 1 ? one : many}`;
}

export function afterAttempts(attempts: number): string {
  return ` after ${plural(attempts, 'attempt', 'attempts')}`;
}

export function requestSuffix(requestContextId: string | undefined): string {
  return requestContextId === undefined ? '' : ` (request ${requestContextId})`;
}
