/**
 * The job's small state files (the run in progress, the dead letters) written and removed
 * atomically: a crash or a power loss leaves the old file or the new one (or none), never a torn
 * mix; and read back telling a missing file from one that is unreadable (empty, or not JSON).
 */
import { randomUUID } from 'node:crypto';
import { open, readFile, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/**
 * Replaces the file at `path` with `text`, atomically: writes a temporary file in the same
 * directory (so that the rename never crosses file systems), `fsync`s it, renames it over
 * `path`, then `fsync`s the directory so that the rename itself survives a power loss (where the
 * platform allows it; Windows does not). On failure the temporary file is removed and `path`
 * is untouched.
 */
export async function writeFileAtomic(path: string, text: string): Promise<void> {
  const dir = dirname(path);
  const temp = join(dir, `.${basename(path)}.${process.pid}.${randomUUID()}.tmp`);
  try {
    const handle = await open(temp, 'wx');
    try {
      await handle.writeFile(text, 'utf8');
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, path);
  } catch (error) {
    await rm(temp, { force: true }).catch(() => {});
    throw error;
  }
  await syncDirectory(dir);
}

/**
 * Removes the file at `path` if it exists, then `fsync`s its directory so that the removal
 * survives a power loss (where the platform allows it).
 */
export async function removeFileDurably(path: string): Promise<void> {
  await rm(path, { force: true });
  await syncDirectory(dirname(path));
}

async function syncDirectory(dir: string): Promise<void> {
  let handle: Awaited<ReturnType<typeof open>> | undefined;
  try {
    handle = await open(dir, 'r');
    await handle.sync();
  } catch (error) {
    // Windows cannot open or fsync a directory; there the rename is as durable as it gets.
    const code = (error as NodeJS.ErrnoException).code;
    if (!['EISDIR', 'EPERM', 'EACCES', 'EINVAL', 'EBADF'].includes(code ?? '')) throw error;
  } finally {
    await handle?.close();
  }
}

/** What {@link readJsonState} found. */
export type JsonState =
  | { readonly status: 'missing' }
  | { readonly status: 'ok'; readonly value: unknown }
  /** Empty, or not JSON (a write torn by a crash before writes were atomic, say). */
  | { readonly status: 'unreadable'; readonly problem: string };

/**
 * Reads a JSON state file. A missing file and an unreadable one are results, not errors, so
 * that the caller can say what it does about them.
 *
 * @throws the file system's error for anything but a missing file (permissions, a directory).
 */
export async function readJsonState(path: string): Promise<JsonState> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { status: 'missing' };
    throw error;
  }
  if (text.trim() === '') return { status: 'unreadable', problem: 'it is empty' };
  try {
    return { status: 'ok', value: JSON.parse(text) as unknown };
  } catch {
    // The parser's message can quote the file's content: not repeated.
    return { status: 'unreadable', problem: 'it is not valid JSON (torn by a crash?)' };
  }
}
