/**
 * fauxqs (an in-process SQS emulator) for the SQS adapter's tests: its Fastify app listening on
 * 127.0.0.1 on a port the OS picks, stopped by the test in `afterAll`. (`startFauxqs` listens
 * on 0.0.0.0, so the app is built and started here instead.)
 */
import { randomUUID } from 'node:crypto';
import { SQSClient } from '@aws-sdk/client-sqs';
import { buildApp } from 'fauxqs';

/** The region of the tests' clients (fauxqs reads it from the request signature). */
export const FAUXQS_REGION = 'us-east-1';
/** Any credentials: fauxqs never checks them. */
export const FAUXQS_CREDENTIALS = { accessKeyId: 'test', secretAccessKey: 'test' };

/** A running fauxqs. */
export interface FauxqsServer {
  /** `http://127.0.0.1:<port>`: the endpoint of the clients. */
  endpoint: string;
  /**
   * The URL fauxqs gives a queue named `name` when it creates it through the SDK:
   * `http://sqs.<region>.localhost:<port>/000000000000/<name>` (fauxqs finds queues by that
   * exact URL; the requests themselves go to `endpoint`).
   */
  queueUrl(name: string): string;
  /** A fresh pair of queue URLs (`cs-<uuid>` and `cs-<uuid>-dead`), not created yet. */
  freshQueues(): { queueUrl: string; deadLetterQueueUrl: string };
  /** A client on this server (destroy it after use). */
  client(): SQSClient;
  /** Stops the server (all its queues are gone). */
  stop(): Promise<void>;
}

/** Starts fauxqs on 127.0.0.1, on a free port. */
export async function startFauxqsServer(): Promise<FauxqsServer> {
  const app = buildApp({ logger: false, defaultRegion: FAUXQS_REGION });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.server.address();
  if (address === null || typeof address === 'string') throw new Error('fauxqs has no port');
  const port = address.port;
  const endpoint = `http://127.0.0.1:${port}`;
  const queueUrl = (name: string): string =>
    `http://sqs.${FAUXQS_REGION}.localhost:${port}/000000000000/${name}`;
  return {
    endpoint,
    queueUrl,
    freshQueues() {
      const name = `cs-${randomUUID()}`;
      return { queueUrl: queueUrl(name), deadLetterQueueUrl: queueUrl(`${name}-dead`) };
    },
    client() {
      return new SQSClient({ region: FAUXQS_REGION, endpoint, credentials: FAUXQS_CREDENTIALS });
    },
    async stop() {
      await app.close();
    },
  };
}
