/**
 * `parseSqsQueueTarget`: the `sqs://…` form of the command line's `--queue` option, turned into
 * the options of an `SqsQueueAdapter`.
 *
 * @module
 */
import { CanvasOptionsError } from '../../errors/index.js';

/**
 * What {@link parseSqsQueueTarget} reads from an `sqs://…` target: the queue URLs and where to
 * send the requests. Spread it into `SqsQueueAdapterOptions` (`{ ...target, … }`).
 * @category Pipeline
 */
export interface SqsQueueTarget {
  /** The queue URL, as SQS names the queue in every request. */
  queueUrl: string;
  /** The dead-letter queue's URL, in the same account (and on the same host). */
  deadLetterQueueUrl: string;
  /** The AWS region the requests are signed for. */
  region: string;
  /**
   * Where the requests go, for a server other than AWS's regional endpoint (a local SQS-compatible
   * server, a VPC endpoint); absent for `sqs.<region>.amazonaws.com`.
   */
  endpoint?: string;
  /** The 12-digit account id of both queues. */
  accountId: string;
  /** The queue's name. */
  queueName: string;
  /** The dead-letter queue's name. */
  deadLetterQueueName: string;
}

/** An SQS queue name: 1-80 letters, digits, `-` or `_` (standard queues: no `.fifo`). */
const QUEUE_NAME = /^[A-Za-z0-9_-]{1,80}$/;
const ACCOUNT_ID = /^\d{12}$/;
/** An AWS region name: `us-east-1`, `eu-central-2`, `us-gov-west-1`, `cn-north-1` … */
const REGION = /^[a-z]{2}(-[a-z]+)+-\d{1,2}$/;
/** The regional AWS endpoint host: `sqs.<region>.amazonaws.com` (`.com.cn` in China). */
const AWS_HOST = /^sqs\.([a-z0-9-]+)\.amazonaws\.com(\.cn)?$/;
const PARAMETERS = new Set(['region', 'endpoint', 'dlq']);

/**
 * Reads the SQS form of the command line's `--queue` option:
 *
 * `sqs://sqs.<region>.amazonaws.com/<account-id>/<queue-name>[?region=…&endpoint=…&dlq=…]`
 *
 * - The host `sqs.<region>.amazonaws.com` gives the region, and the queue URL is
 *   `https://sqs.<region>.amazonaws.com/<account-id>/<queue-name>` (requests go to AWS's
 *   regional endpoint, as the SDK resolves it).
 * - `region=<region>` overrides the host's region; it is required for any other host.
 * - `endpoint=<http(s) origin>` sends the requests to a local or private server (LocalStack or
 *   ElasticMQ on `http://127.0.0.1:4566` …): the queue URLs are then built on the endpoint,
 *   `<endpoint>/<account-id>/<queue-name>`, whatever the host of the `sqs://` text. A server
 *   that knows a queue only by the exact URL it gave it (fauxqs names its queues
 *   `http://sqs.<region>.localhost:<port>/…`) needs that origin as the endpoint, resolving to it.
 *   Without it, a host other than `sqs.<region>.amazonaws.com` (a VPC endpoint, say) is used as
 *   `https://<host>`, both as the endpoint and for the queue URLs.
 * - `dlq=<queue-name>`: the dead-letter queue, in the same account. @defaultValue `<queue-name>-dead`
 *
 * The account id is 12 digits; queue names are 1-80 letters, digits, `-` and `_`. FIFO queues
 * (`.fifo`) are refused: the adapter works on standard queues. Credentials are never part of the
 * target (`sqs://key:secret@…` is refused): they come from the AWS SDK's usual chain
 * (environment variables, shared config and credentials files, SSO, container or instance
 * roles).
 *
 * @param text - The `--queue` value, e.g.
 *   `sqs://sqs.eu-west-1.amazonaws.com/123456789012/canvas-sync` or
 *   `sqs://localhost/000000000000/canvas-sync?region=us-east-1&endpoint=http://127.0.0.1:4566`.
 * @returns The queue URLs, region and endpoint, ready to spread into `SqsQueueAdapterOptions`.
 * @throws CanvasOptionsError with a message naming what is wrong (the text itself is not quoted:
 *   it could hold a credential).
 *
 * @example
 * ```ts
 * const target = parseSqsQueueTarget('sqs://sqs.eu-west-1.amazonaws.com/123456789012/canvas-sync');
 * // { queueUrl: 'https://sqs.eu-west-1.amazonaws.com/123456789012/canvas-sync',
 * //   deadLetterQueueUrl: 'https://sqs.eu-west-1.amazonaws.com/123456789012/canvas-sync-dead',
 * //   region: 'eu-west-1', accountId: '123456789012', queueName: 'canvas-sync',
 * //   deadLetterQueueName: 'canvas-sync-dead' }
 * const queue = new SqsQueueAdapter({ ...target });
 * ```
 * @category Pipeline
 */
export function parseSqsQueueTarget(text: string): SqsQueueTarget {
  if (typeof text !== 'string' || text.trim() === '') {
    throw invalid('(root)', 'Expected an sqs:// URL');
  }
  let url: URL;
  try {
    url = new URL(text.trim());
  } catch {
    throw invalid('(root)', 'Not a URL; expected sqs://<host>/<account-id>/<queue-name>');
  }
  if (url.protocol !== 'sqs:') {
    throw invalid('(root)', 'Expected the sqs:// scheme');
  }
  if (url.username !== '' || url.password !== '') {
    throw invalid(
      'credentials',
      'Credentials do not belong in the queue URL: they come from the AWS SDK’s usual chain (environment variables, shared config files, SSO, instance or container roles)',
    );
  }
  if (url.hash !== '') throw invalid('(root)', 'Unexpected #fragment');
  const host = url.hostname.toLowerCase();
  if (host === '') throw invalid('host', 'Expected a host, e.g. sqs.us-east-1.amazonaws.com');

  for (const name of url.searchParams.keys()) {
    if (!PARAMETERS.has(name)) {
      throw invalid(name, 'Unknown parameter; expected region, endpoint or dlq');
    }
    if (url.searchParams.getAll(name).length > 1) throw invalid(name, 'Given more than once');
  }

  const segments = url.pathname.split('/').slice(1);
  if (segments.length !== 2) {
    throw invalid('path', 'Expected /<account-id>/<queue-name>');
  }
  const [accountId = '', queueName = ''] = segments;
  if (!ACCOUNT_ID.test(accountId)) throw invalid('account-id', 'Expected 12 digits');
  checkQueueName('queue-name', queueName);
  const deadLetterQueueName = url.searchParams.get('dlq') ?? `${queueName}-dead`;
  checkQueueName('dlq', deadLetterQueueName);
  if (deadLetterQueueName === queueName) {
    throw invalid('dlq', 'The dead-letter queue must differ from the queue');
  }

  const awsHost = AWS_HOST.exec(host);
  const regionParameter = url.searchParams.get('region');
  const region = regionParameter ?? awsHost?.[1];
  if (region === undefined) {
    throw invalid('region', 'Required (region=…) for a host other than sqs.<region>.amazonaws.com');
  }
  if (!REGION.test(region)) throw invalid('region', 'Expected an AWS region name, e.g. us-east-1');

  const endpointParameter = url.searchParams.get('endpoint');
  let base: string;
  let endpoint: string | undefined;
  if (endpointParameter !== null) {
    endpoint = parseEndpoint(endpointParameter);
    base = endpoint;
  } else if (awsHost !== null && url.port === '') {
    base = `https://${host}`;
  } else {
    endpoint = `https://${url.host.toLowerCase()}`;
    base = endpoint;
  }
  return {
    queueUrl: `${base}/${accountId}/${queueName}`,
    deadLetterQueueUrl: `${base}/${accountId}/${deadLetterQueueName}`,
    region,
    ...(endpoint === undefined ? {} : { endpoint }),
    accountId,
    queueName,
    deadLetterQueueName,
  };
}

function parseEndpoint(text: string): string {
  let endpoint: URL;
  try {
    endpoint = new URL(text);
  } catch {
    throw invalid('endpoint', 'Expected an http:// or https:// URL, e.g. http://127.0.0.1:4566');
  }
  if (endpoint.protocol !== 'http:' && endpoint.protocol !== 'https:') {
    throw invalid('endpoint', 'Expected an http:// or https:// URL');
  }
  if (endpoint.username !== '' || endpoint.password !== '') {
    throw invalid(
      'endpoint',
      'Credentials do not belong in the endpoint: they come from the AWS SDK’s usual chain',
    );
  }
  if (endpoint.pathname !== '/' || endpoint.search !== '' || endpoint.hash !== '') {
    throw invalid('endpoint', 'Expected an origin only (scheme, host, port), without a path');
  }
  return endpoint.origin;
}

function checkQueueName(path: string, name: string): void {
  if (name.endsWith('.fifo')) {
    throw invalid(path, 'FIFO queues are not supported: SqsQueueAdapter works on standard queues');
  }
  if (!QUEUE_NAME.test(name)) {
    throw invalid(path, 'Expected a queue name of 1-80 letters, digits, "-" or "_"');
  }
}

function invalid(path: string, message: string): CanvasOptionsError {
  return new CanvasOptionsError({ what: 'SQS queue target', issues: [{ path, message }] });
}
