/**
 * The run report of `canvas-sync sync` (`--report FILE`, repeatable): what a scheduler, a
 * dashboard or a privacy officer reads afterwards. `.json` is {@link RunReport} (its JSON Schema,
 * `schema/run-report.schema.json`, ships in the package, generated from {@link runReportSchema}),
 * `.html` one self-contained page of the same figures with charts.
 *
 * The figures come from the client's events as they happen (no timer): requests, throttles and
 * the bucket level Canvas reports (`X-Rate-Limit-Remaining`) per second of the run, so that a
 * report of a run against a real Canvas says as much as one against the simulator.
 *
 * @module
 */
import { z } from 'zod';
import type { CanvasSyncClient, ResponseEvent, ThrottledEvent } from '../index.js';

/** `inserted`, `updated`, `unchanged` and `deleted` records. */
const recordCountsSchema = z.strictObject({
  inserted: z.number().int().nonnegative().describe('Records stored for the first time.'),
  updated: z.number().int().nonnegative().describe('Records replaced by another version.'),
  unchanged: z.number().int().nonnegative().describe('Records fetched again, the same version.'),
  deleted: z.number().int().nonnegative().describe('Records tombstoned by a full pass.'),
});

/** One second of the run. */
const sampleSchema = z.strictObject({
  t: z.number().int().nonnegative().describe('Start of the second, in seconds since the start.'),
  requests: z.number().int().nonnegative().describe('Responses received in that second.'),
  throttled: z.number().int().nonnegative().describe('Throttled responses in that second.'),
  level: z
    .number()
    .nullable()
    .describe(
      'Highest bucket level Canvas reported in that second (high-water mark minus ' +
        'X-Rate-Limit-Remaining); null when no response carried the header.',
    ),
});

/**
 * The report, version 1. Counts only, never a record, a token, a password or a student
 * identifier: dead letters appear as counts by reason.
 */
export const runReportSchema = z
  .strictObject({
    reportVersion: z.literal(1).describe('Version of this format.'),
    tool: z.strictObject({
      name: z.literal('canvas-sync'),
      version: z.string().describe('Version of canvas-sync that wrote the report.'),
    }),
    command: z.literal('sync'),
    status: z
      .enum(['done', 'dead-letters', 'failed', 'interrupted'])
      .describe(
        'done: every task done; dead-letters: every task accounted for, some dead-lettered; ' +
          'failed: stopped by an error; interrupted: stopped by a signal.',
      ),
    exitCode: z.number().int().describe('The exit code: 0, 1, 3, 130 or 143.'),
    interruptedBy: z.string().nullable().describe('The signal that stopped the run, if any.'),
    startedAt: z.iso.datetime().describe('When the run started, ISO 8601 UTC.'),
    endedAt: z.iso.datetime().describe('When the run ended, ISO 8601 UTC.'),
    elapsedMs: z.number().nonnegative(),
    source: z
      .strictObject({
        kind: z.enum(['canvas', 'simulator']),
        origin: z.string().describe('Origin of the Canvas (scheme, host and port).'),
      })
      .describe('Where the data came from.'),
    output: z.string().describe('Where the records went (a database URL without its password).'),
    resumed: z.boolean().describe('Whether the run resumed an interrupted one.'),
    pageViews: z
      .strictObject({ startTime: z.iso.datetime(), endTime: z.iso.datetime() })
      .nullable()
      .describe('The page-view window synced, end excluded; null when none.'),
    courses: z.number().int().nonnegative(),
    tasks: z.strictObject({
      planned: z.number().int().nonnegative(),
      skipped: z.number().int().nonnegative().describe('Done by the interrupted run resumed.'),
      done: z.number().int().nonnegative(),
      deadLettered: z.number().int().nonnegative(),
      undone: z.number().int().nonnegative().describe('Left for the next run (interrupted).'),
    }),
    submissionReads: z
      .strictObject({
        whole: z
          .number()
          .int()
          .nonnegative()
          .describe('Assignments whose submissions were read whole.'),
        since: z
          .number()
          .int()
          .nonnegative()
          .describe('Filtered reads of a course (graded or submitted since the last run).'),
      })
      .nullable(),
    records: z.strictObject({
      total: recordCountsSchema,
      byKind: z.record(z.string(), recordCountsSchema).describe('By kind of record.'),
    }),
    deadLetters: z.strictObject({
      total: z.number().int().nonnegative(),
      byReason: z.record(z.string(), z.number().int().positive()),
    }),
    requests: z.strictObject({
      sent: z.number().int().nonnegative().describe('Attempts sent.'),
      throttled: z.number().int().nonnegative(),
      retries: z.number().int().nonnegative(),
      failures: z.number().int().nonnegative(),
    }),
    bucket: z.strictObject({
      highWaterMark: z.number().positive().describe("The client's estimate of the bucket's hwm."),
      peakLevel: z.number().nullable().describe('Highest level Canvas reported; null if none.'),
      meanLevel: z.number().nullable().describe('Mean of the levels Canvas reported.'),
    }),
    throughput: z.strictObject({
      requestsPerSecond: z.number().nonnegative(),
      costPerSecond: z
        .number()
        .nonnegative()
        .describe('Sum of X-Request-Cost per second of the run.'),
      ratioToOutflow: z
        .number()
        .nonnegative()
        .describe("costPerSecond over the bucket's outflow (10 units a second on Canvas)."),
      meanLatencyMs: z.number().nonnegative().nullable(),
      inFlightBound: z
        .number()
        .nonnegative()
        .nullable()
        .describe(
          'Requests a second that fit the bucket with each request holding its up-front cost ' +
            '(hwm / 50, less one, in flight over the mean latency); null without responses.',
        ),
      ratioToInFlightBound: z.number().nonnegative().nullable(),
    }),
    series: z.array(sampleSchema).describe('One sample per second of the run, in order.'),
  })
  .describe('What a run of `canvas-sync sync` did.');

/** What a run of `canvas-sync sync` did: see {@link runReportSchema}. */
export type RunReport = z.infer<typeof runReportSchema>;
/** One second of {@link RunReport.series}. */
export type ReportSample = RunReport['series'][number];

/** Canvas's leak rate, units a second, and the up-front cost a request holds while in flight. */
const OUTFLOW_PER_SECOND = 10;
const UP_FRONT_COST = 50;

/**
 * Collects a run's per-second figures from the client's events. `now` is the job's clock (epoch
 * ms); a response is counted in the second it arrived.
 */
export class ReportRecorder {
  readonly #start: number;
  readonly #now: () => number;
  readonly #client: CanvasSyncClient;
  readonly #samples: { requests: number; throttled: number; level: number | null }[] = [];
  #cost = 0;
  #latencyMs = 0;
  #responses = 0;
  #levelSum = 0;
  #levels = 0;
  #peak: number | null = null;
  readonly #onResponse = (event: ResponseEvent): void => this.#response(event);
  readonly #onThrottled = (_event: ThrottledEvent): void => {
    this.#sample().throttled++;
  };

  constructor(client: CanvasSyncClient, now: () => number) {
    this.#client = client;
    this.#now = now;
    this.#start = now();
    client.on('response', this.#onResponse);
    client.on('throttled', this.#onThrottled);
  }

  /** Stops listening to the client. */
  stop(): void {
    this.#client.off('response', this.#onResponse);
    this.#client.off('throttled', this.#onThrottled);
  }

  /** When recording started, epoch ms. */
  get startedAt(): number {
    return this.#start;
  }

  #sample() {
    const second = Math.max(0, Math.floor((this.#now() - this.#start) / 1000));
    while (this.#samples.length <= second) {
      this.#samples.push({ requests: 0, throttled: 0, level: null });
    }
    return this.#samples[second] as { requests: number; throttled: number; level: number | null };
  }

  #response(event: ResponseEvent): void {
    const sample = this.#sample();
    sample.requests++;
    this.#responses++;
    this.#latencyMs += event.durationMs;
    if (event.cost !== undefined && Number.isFinite(event.cost)) this.#cost += event.cost;
    if (event.remaining !== undefined && Number.isFinite(event.remaining)) {
      const level = this.#client.stats().highWaterMark - event.remaining;
      sample.level = sample.level === null ? level : Math.max(sample.level, level);
      this.#peak = this.#peak === null ? level : Math.max(this.#peak, level);
      this.#levelSum += level;
      this.#levels++;
    }
  }

  /** The bucket, throughput and series parts of the report, as of now. */
  figures(): Pick<RunReport, 'bucket' | 'throughput' | 'series'> {
    const elapsedS = Math.max(1e-3, (this.#now() - this.#start) / 1000);
    const highWaterMark = this.#client.stats().highWaterMark;
    const requestsPerSecond = this.#responses / elapsedS;
    const costPerSecond = this.#cost / elapsedS;
    const meanLatencyMs = this.#responses === 0 ? null : this.#latencyMs / this.#responses;
    const slots = Math.max(1, Math.ceil(highWaterMark / UP_FRONT_COST) - 1);
    const inFlightBound =
      meanLatencyMs === null || meanLatencyMs <= 0 ? null : slots / (meanLatencyMs / 1000);
    return {
      bucket: {
        highWaterMark,
        peakLevel: this.#peak,
        meanLevel: this.#levels === 0 ? null : this.#levelSum / this.#levels,
      },
      throughput: {
        requestsPerSecond,
        costPerSecond,
        ratioToOutflow: costPerSecond / OUTFLOW_PER_SECOND,
        meanLatencyMs,
        inFlightBound,
        ratioToInFlightBound: inFlightBound === null ? null : requestsPerSecond / inFlightBound,
      },
      series: this.#samples.map((sample, t) => ({ t, ...sample })),
    };
  }
}

/**
 * The JSON Schema of {@link RunReport} (draft 2020-12), as shipped in
 * `schema/run-report.schema.json`: generated from {@link runReportSchema}, so that no zod type
 * enters the public API.
 */
export function reportJsonSchemaText(): string {
  const schema = z.toJSONSchema(runReportSchema, { target: 'draft-2020-12' });
  const described = {
    $schema: schema.$schema,
    title: 'canvas-sync run report',
    ...schema,
  };
  return `${JSON.stringify(described, null, 2)}\n`;
}
