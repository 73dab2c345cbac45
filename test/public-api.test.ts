import { describe, expect, it } from 'vitest';
import * as canvasSync from '../src/index.js';
import * as testing from '../src/testing/index.js';
import * as queueTesting from '../src/testing/queue-conformance.js';

/** What the README documents, by entry point: each must be exported as a value. */
const documented = {
  'canvas-sync': [
    'CanvasSyncClient',
    'FerpaSanitizer',
    'renderPiiCatalogMarkdown',
    'piiCatalog',
    'idempotencyKey',
    'canonicalRequest',
    'dedupe',
    'MemorySink',
    'JsonlFileSink',
    'createTask',
    'parseTask',
    'MemoryQueueAdapter',
    'CanvasSyncError',
    'CanvasHttpError',
    'CanvasAuthError',
    'CanvasRateLimitError',
    'CanvasNetworkError',
    'CanvasTimeoutError',
    'CanvasResponseError',
    'CanvasPaginationError',
    'CanvasAbortError',
    'CanvasClientClosedError',
    'CanvasOptionsError',
    'CanvasRedirectError',
    'CanvasBodyTooLargeError',
    'CanvasTokenError',
    'CanvasSanitizeError',
    'refreshTokenProvider',
    'CanvasSinkClosedError',
    'TaskValidationError',
  ],
  'canvas-sync/testing': ['startCanvasSimulator', 'createInstitution', 'formatRubyFloat'],
  'canvas-sync/testing/queue': ['runQueueAdapterConformance'],
} as const;

const modules: Record<keyof typeof documented, Record<string, unknown>> = {
  'canvas-sync': canvasSync,
  'canvas-sync/testing': testing,
  'canvas-sync/testing/queue': queueTesting,
};

describe('public API', () => {
  for (const [entry, names] of Object.entries(documented) as [
    keyof typeof documented,
    readonly string[],
  ][]) {
    it(`${entry} exports what the README documents`, () => {
      const missing = names.filter((name) => modules[entry][name] === undefined);
      expect(missing).toEqual([]);
    });
  }

  it('keeps the simulator and the vitest-based suite on separate entry points', () => {
    expect(testing).not.toHaveProperty('runQueueAdapterConformance');
    expect(canvasSync).not.toHaveProperty('startCanvasSimulator');
  });
});
