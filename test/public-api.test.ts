import { describe, expect, it } from 'vitest';
import * as canvasSync from '../src/index.js';
import * as bullmq from '../src/queue/bullmq/index.js';
import * as queue from '../src/queue/index.js';
import * as rabbitmq from '../src/queue/rabbitmq/index.js';
import * as sqs from '../src/queue/sqs/index.js';
import * as postgres from '../src/sink/postgres/index.js';
import * as sqlite from '../src/sink/sqlite/index.js';
import * as testing from '../src/testing/index.js';
import * as queueTesting from '../src/testing/queue-conformance.js';
import * as sinkTesting from '../src/testing/sink-conformance.js';

/**
 * Every runtime export of every entry point, sorted. The public API grows only on purpose: a
 * new export means a new line here (and in the README), a removed one a migration note.
 */
const pinned = {
  'canvas-sync': [
    'CanvasAbortError',
    'CanvasAuthError',
    'CanvasBodyTooLargeError',
    'CanvasClientClosedError',
    'CanvasHttpError',
    'CanvasNetworkError',
    'CanvasOptionsError',
    'CanvasPaginationError',
    'CanvasRateLimitError',
    'CanvasRedirectError',
    'CanvasRequestError',
    'CanvasResponseError',
    'CanvasSanitizeError',
    'CanvasSinkError',
    'CanvasSyncClient',
    'CanvasSyncError',
    'CanvasTimeoutError',
    'CanvasTokenError',
    'FerpaSanitizer',
    'JsonlFileSink',
    'MemoryQueueAdapter',
    'MemorySink',
    'SyncWorker',
    'CanvasTaskValidationError',
    'canonicalRequest',
    'createTask',
    'dedupe',
    'engagementCrawler',
    'gradeExporter',
    'idempotencyKey',
    'piiCatalog',
    'refreshTokenProvider',
    'renderPiiCatalogMarkdown',
    'rosterScanner',
    'runProducers',
  ],
  'canvas-sync/queue': [
    'CanvasUnsupportedError',
    'DEFAULT_HANDLER_ERROR_DELAY_MS',
    'MAX_DEAD_LETTER_RAW_BYTES',
    'CanvasTaskValidationError',
    'parseTask',
    'rawForDeadLetter',
    'readHandlerResult',
    'scrubDeadLetter',
    'taskForReplay',
    'taskForRetry',
    'taskKinds',
  ],
  'canvas-sync/testing': [
    'LeakyBucket',
    'createInstitution',
    'decodeBookmark',
    'defaultInstitutionOptions',
    'encodeBookmark',
    'endpointNames',
    'formatRubyFloat',
    'startCanvasSimulator',
  ],
  'canvas-sync/queue/bullmq': ['BullMQQueueAdapter'],
  'canvas-sync/queue/rabbitmq': ['RabbitMQQueueAdapter', 'RabbitMQQueueError', 'retryBucketMs'],
  'canvas-sync/queue/sqs': ['SqsEnqueueError', 'SqsQueueAdapter', 'parseSqsQueueTarget'],
  'canvas-sync/testing/queue': ['runQueueAdapterConformance'],
  'canvas-sync/testing/sink': ['runSinkConformance'],
  'canvas-sync/sinks/sqlite': ['SqliteSink'],
  'canvas-sync/sinks/postgres': ['PostgresSink'],
} as const;

const modules: Record<keyof typeof pinned, Record<string, unknown>> = {
  'canvas-sync': canvasSync,
  'canvas-sync/queue': queue,
  'canvas-sync/queue/bullmq': bullmq,
  'canvas-sync/queue/rabbitmq': rabbitmq,
  'canvas-sync/queue/sqs': sqs,
  'canvas-sync/testing': testing,
  'canvas-sync/testing/queue': queueTesting,
  'canvas-sync/testing/sink': sinkTesting,
  'canvas-sync/sinks/sqlite': sqlite,
  'canvas-sync/sinks/postgres': postgres,
};

describe('public API', () => {
  for (const [entry, names] of Object.entries(pinned) as [
    keyof typeof pinned,
    readonly string[],
  ][]) {
    it(`${entry} exports exactly its pinned runtime names`, () => {
      expect(Object.keys(modules[entry]).sort()).toEqual([...names].sort());
    });
  }

  it('maps every pinned entry point, and nothing else, in package.json', async () => {
    const { readFile } = await import('node:fs/promises');
    const manifest = JSON.parse(
      await readFile(new URL('../package.json', import.meta.url), 'utf8'),
    );
    const subpaths = Object.keys(manifest.exports as Record<string, unknown>)
      // Data files (package.json, the report's JSON Schema) are no module.
      .filter((subpath) => !subpath.endsWith('.json'))
      .map((subpath) => (subpath === '.' ? 'canvas-sync' : `canvas-sync/${subpath.slice(2)}`));
    expect(subpaths.sort()).toEqual(Object.keys(pinned).sort());
  });

  it('keeps the root small: at most 35 runtime names', () => {
    expect(Object.keys(canvasSync).length).toBeLessThanOrEqual(35);
  });

  it('keeps the simulator and the vitest-based suite on separate entry points', () => {
    expect(testing).not.toHaveProperty('runQueueAdapterConformance');
    expect(canvasSync).not.toHaveProperty('startCanvasSimulator');
  });
});
