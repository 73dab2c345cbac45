import { inspect } from 'node:util';
import { describe, expect, it, onTestFinished } from 'vitest';
import {
  CanvasOptionsError,
  CanvasSyncClient,
  CanvasSyncError,
  MemoryQueueAdapter,
  MemorySink,
  type QueueAdapter,
  SyncWorker,
} from '../../src/index.js';
import { CanvasUnsupportedError } from '../../src/queue/index.js';

const TOKEN = '7~abcdefghijklmnopqrstuvwxyz0123456789ABCD';

/** A queue adapter with the required core only: no deadLetters(), no replayDeadLetters(). */
function coreOnly(memory: MemoryQueueAdapter): QueueAdapter {
  return {
    enqueue: (tasks, options) => memory.enqueue(tasks, options),
    consume: (handler, options) => memory.consume(handler, options),
    close: (options) => memory.close(options),
  };
}

function workerOn(queue: QueueAdapter): SyncWorker {
  const client = new CanvasSyncClient({ baseUrl: 'https://canvas.example.edu', token: TOKEN });
  const worker = new SyncWorker({ client, queue, sink: new MemorySink() });
  onTestFinished(async () => {
    await worker.close();
    await client.close();
  });
  return worker;
}

describe('SyncWorker on a queue adapter without the dead-letter methods', () => {
  it.each([
    ['deadLetters', (worker: SyncWorker) => worker.deadLetters()],
    ['replayDeadLetters', (worker: SyncWorker) => worker.replayDeadLetters()],
  ] as const)('%s() rejects with CanvasUnsupportedError (UNSUPPORTED)', async (method, call) => {
    const error = await call(workerOn(coreOnly(new MemoryQueueAdapter()))).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CanvasUnsupportedError);
    expect(error).toBeInstanceOf(CanvasSyncError);
    expect(error).not.toBeInstanceOf(CanvasOptionsError);
    const unsupported = error as CanvasUnsupportedError;
    expect(unsupported.name).toBe('CanvasUnsupportedError');
    expect(unsupported.code).toBe('UNSUPPORTED');
    expect(unsupported.method).toBe(method);
    expect(unsupported.message).toBe(
      `The queue adapter does not offer ${method}(), an optional method of QueueAdapter`,
    );
    expect(unsupported.toJSON()).toStrictEqual({
      name: 'CanvasUnsupportedError',
      code: 'UNSUPPORTED',
      message: unsupported.message,
      method,
    });
    for (const shown of [unsupported.message, JSON.stringify(unsupported), inspect(unsupported)]) {
      expect(shown).not.toContain(TOKEN);
    }
  });

  it('uses the methods when the adapter has them', async () => {
    const worker = workerOn(new MemoryQueueAdapter());
    await expect(worker.deadLetters()).resolves.toEqual([]);
    await expect(worker.replayDeadLetters()).resolves.toBe(0);
  });
});
