/**
 * Failures that come back the same on every attempt (a redirect to another origin, a body over
 * the limit, a refused token refresh) are dead-lettered at once, with safe details only.
 */
import { describe, expect, it, onTestFinished } from 'vitest';
import {
  createTask,
  MemoryQueueAdapter,
  MemorySink,
  SyncWorker,
  type TokenProvider,
} from '../../src/index.js';
import { createClient, startStubServer, type TestClientOptions } from '../support/client.js';
import { until } from '../support/http.js';

const TOKEN = 'worker-secret-token-77';

async function deadLetterOf(baseUrl: string, clientOptions: TestClientOptions = {}) {
  const queue = new MemoryQueueAdapter();
  const worker = new SyncWorker({
    client: createClient(baseUrl, { token: TOKEN, retry: { maxAttempts: 1 }, ...clientOptions }),
    queue,
    sink: new MemorySink<unknown>(),
    retry: { baseDelayMs: 10, maxDelayMs: 50, throttleDelayMs: 10, maxAttempts: 3 },
  });
  onTestFinished(() => worker.close());
  await queue.enqueue(createTask({ kind: 'course.users', path: '/api/v1/courses/1/users' }));
  await worker.start();
  await until(() => worker.stats().deadLettered === 1);
  const [letter] = await worker.deadLetters();
  expect(worker.stats().retried).toBe(0);
  expect(JSON.stringify(letter)).not.toContain(TOKEN);
  return letter;
}

describe('SyncWorker: permanent client errors', () => {
  it('a redirect to another origin', async () => {
    const foreign = await startStubServer();
    const canvas = await startStubServer((_request, res) => {
      res.writeHead(302, { Location: `${foreign.url}/steal?token=${TOKEN}` });
      res.end();
    });
    const letter = await deadLetterOf(canvas.url);
    expect(letter).toMatchObject({
      reason: 'redirect-refused',
      code: 'REDIRECT_REFUSED',
      detail: { redirectReason: 'foreign-origin', status: 302, targetOrigin: foreign.url },
    });
    expect(foreign.requests).toHaveLength(0);
  });

  it('a body over maxResponseBytes', async () => {
    const canvas = await startStubServer((_request, res) => {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end(`[${'"x",'.repeat(1_000)}"x"]`);
    });
    const letter = await deadLetterOf(canvas.url, { maxResponseBytes: 1024 });
    expect(letter).toMatchObject({
      reason: 'body-too-large',
      code: 'BODY_TOO_LARGE',
      detail: { limitBytes: 1024 },
    });
    expect(canvas.requests).toHaveLength(1);
  });

  it('a token provider that returns no token', async () => {
    const canvas = await startStubServer();
    const token: TokenProvider = async () => '';
    const letter = await deadLetterOf(canvas.url, { token });
    expect(letter).toMatchObject({
      reason: 'token-refresh-failed',
      detail: { tokenReason: 'invalid-token' },
    });
    expect(canvas.requests).toHaveLength(0);
  });
});
