/**
 * The pacing of a fleet's processes (`--pacing-redis`): every process on one token shares its
 * budget through Redis, by default the Redis of a BullMQ `--queue`. Without a Redis for pacing,
 * or with an OAuth2 refresh token (each process then has tokens, and buckets, of its own), each
 * process paces alone, and says so at start.
 */
import { CanvasSyncClient, type CanvasSyncClientOptions } from '../index.js';
import type { Target } from './canvas-target.js';
import type { Io } from './io.js';
import { redactUrl } from './redact.js';
import type { Settings } from './settings.js';

/**
 * The client of a fleet's process: its budget shared through `settings.pacingRedis` when there
 * is one; the start's line and the fleet's events go to stderr (`pacing: …`).
 */
export function fleetClient(settings: Settings, target: Target, io: Io): CanvasSyncClient {
  const options: CanvasSyncClientOptions = { baseUrl: target.baseUrl, token: target.token };
  const redis = settings.pacingRedis;
  const say = (text: string): unknown => io.stderr.write(`pacing: ${text}\n`);
  if (redis === undefined) {
    say(
      'this process paces alone (no Redis for pacing: give --pacing-redis redis://… to share the token’s budget with the fleet)',
    );
    return new CanvasSyncClient(options);
  }
  if (typeof target.token !== 'string') {
    say('this process paces alone: with an OAuth2 refresh token each process has its own tokens');
    return new CanvasSyncClient(options);
  }
  say(`shared with every process of this token through ${redactUrl(redis)}`);
  const client = new CanvasSyncClient({ ...options, pacing: { redis } });
  client.on('fleet', (event) => {
    // Resizes follow the bucket all the time: worth a line only when asked for every detail.
    if (event.type !== 'resized' || settings.verbose) say(event.message);
  });
  return client;
}
