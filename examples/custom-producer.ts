/**
 * A producer of your own: sync only the discussions that are active.
 *
 * The built-in `engagementCrawler()` plans one `discussion.entries` task for every topic of every
 * course. With years of old courses in an account you may want only the conversations that
 * moved lately: this producer reads each course's topic list (a little metadata) and plans the
 * entries of the topics with a reply since a given date. It runs against the embedded Canvas
 * simulator, so it needs no Canvas and no token:
 *
 *   npx tsx examples/custom-producer.ts
 */
import {
  CanvasSyncClient,
  FerpaSanitizer,
  MemoryQueueAdapter,
  MemorySink,
  type Producer,
  runProducers,
  SyncWorker,
} from '../src/index.js';
import { startCanvasSimulator } from '../src/testing/index.js';

/** The fields of a discussion topic this producer reads (Canvas sends many more). */
interface Topic {
  id: number;
  last_reply_at: string | null;
}

/**
 * A producer is a name and an async generator: given a course, it yields task inputs
 * (`{ kind, path, searchParams? }`) as it reads, never holding a whole list. `kind` must be one
 * of the kinds the worker knows (`taskKinds`): it picks how records are keyed and stored. The
 * same data must give the same tasks, since a task's key is its request: a re-run, or a task
 * another producer planned too, is then enqueued once.
 */
function activeDiscussions(since: Date): Producer {
  return {
    name: 'active-discussions',
    async *plan(course, { client, priority, signal }) {
      // Metadata goes through the workers' own client, so it shares the token's rate-limit
      // budget; `priority` puts it ahead of the fetching, so the queue keeps filling.
      const topics = client.paginate<Topic>(`/api/v1/courses/${course.id}/discussion_topics`, {
        priority,
        ...(signal === undefined ? {} : { signal }), // runProducers' signal cancels planning
      });
      for await (const topic of topics) {
        if (topic.last_reply_at === null || new Date(topic.last_reply_at) < since) continue;
        // No query: the task reads the topic's entries whole, so the sink also records (as a
        // tombstone) an entry deleted in Canvas since the last run.
        yield {
          kind: 'discussion.entries',
          path: `/api/v1/courses/${course.id}/discussion_topics/${topic.id}/entries`,
        };
      }
    },
  };
}

// A small simulated institution: 4 courses of 20 students, 4 discussion topics each.
const sim = await startCanvasSimulator({
  institution: { courses: 4, students: 60, studentsPerCourse: 20, topicsPerCourse: 4 },
});
const client = new CanvasSyncClient({ baseUrl: sim.url, token: sim.token });
const queue = new MemoryQueueAdapter();
const sink = new MemorySink<unknown>();
const worker = new SyncWorker({
  client,
  queue,
  sink,
  // Before anything is stored: names and messages (entries quote classmates by name) redacted,
  // avatars and profile links dropped, `anonymous_id` pseudonymized; Canvas ids are kept. The
  // key is a demo's: yours comes from a secret store (whoever holds it can recompute pseudonyms).
  sanitizer: new FerpaSanitizer({
    key: 'demo key of examples/, NOT a secret',
    freeText: 'redact-all',
  }),
  concurrency: 4,
});

try {
  await worker.start();
  // The simulated academic year is 2026-27. Against your Canvas: `Date.now() - 7 * 86_400_000`.
  const since = new Date('2026-11-01T00:00:00Z');
  const planned = await runProducers({
    client,
    queue,
    scope: { accountId: sim.data.account.id }, // every course of the account, a page at a time
    producers: [activeDiscussions(since)],
  });
  console.log(
    `planned ${planned.enqueued} discussion.entries tasks in ${planned.courses} courses: the topics with a reply since ${since.toISOString().slice(0, 10)}`,
  );
  await worker.idle(); // every task planned is done or dead-lettered
  await worker.close({ drain: true });

  const { done, deadLettered, records, requests } = worker.stats();
  console.log(`${done} tasks done, ${deadLettered} dead-lettered, ${requests} requests`);
  console.log(`stored ${records.inserted} discussion entries, ${sink.size} records in the sink`);
  const first = sink.stored().at(0);
  if (first !== undefined) {
    console.log(`e.g. ${first.key} (scope ${first.scope}):`);
    console.log(`  ${JSON.stringify(first.record).slice(0, 240)}…`);
  }
} finally {
  await worker.close(); // closes the queue; a second close does nothing
  await client.close();
  await sim.close();
}
