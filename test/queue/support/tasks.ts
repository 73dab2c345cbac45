/**
 * Helpers shared by the broker tests: a bounded wait for a condition, and tasks no earlier call
 * of the test file made.
 */
import { createTask, type SyncTask } from '../../../src/queue/task.js';

/**
 * Polls `done` every `pollMs` until it holds; fails after `timeoutMs` naming `what`. A bound on
 * waiting for something a broker does, never a verdict on how long it took.
 */
export async function until(
  done: () => boolean | Promise<boolean>,
  what: string,
  timeoutMs = 5000,
  pollMs = 10,
): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!(await done())) {
    if (performance.now() > deadline) throw new Error(`Timed out waiting for: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, pollMs));
  }
}

let sequence = 0;

/** `count` tasks of `kind`, each on a course no other call of this module gave (unique keys). */
export function freshTasks(
  count: number,
  kind: 'course.enrollments' | 'course.users' = 'course.enrollments',
): SyncTask[] {
  return Array.from({ length: count }, () => {
    sequence++;
    const collection = kind === 'course.users' ? 'users' : 'enrollments';
    return createTask({ kind, path: `/api/v1/courses/${sequence}/${collection}` });
  });
}
