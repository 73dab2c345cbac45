/**
 * The password of a `--db` URL never reaches the job's output: shown URLs are redacted, and
 * whatever is written to stdout or stderr is scrubbed of it.
 */
import { describe, expect, it } from 'vitest';
import type { Io } from '../../src/cli/io.js';
import { dbArgument, redactingIo, redactor, redactUrl, urlSecrets } from '../../src/cli/redact.js';

describe('redactUrl', () => {
  it('masks the password of a URL and of a password parameter, keeping the rest', () => {
    expect(redactUrl('postgres://canvas:s3cret@db.example.edu:5432/warehouse')).toBe(
      'postgres://canvas:***@db.example.edu:5432/warehouse',
    );
    expect(redactUrl('postgresql://db/warehouse?sslmode=require&password=s3cret')).toBe(
      'postgresql://db/warehouse?sslmode=require&password=***',
    );
    expect(redactUrl('postgres://canvas@db/warehouse')).toBe('postgres://canvas@db/warehouse');
    expect(redactUrl('see http://127.0.0.1:4000/api/v1')).toBe('see http://127.0.0.1:4000/api/v1');
  });
});

describe('urlSecrets and redactor', () => {
  const scrub = (url: string, text: string) => redactor(urlSecrets(url))(text);

  it('masks the password as written, percent-decoded, and in its URL form whatever its length', () => {
    const url = 'postgres://canvas:p%40ss%20word@db/x';
    expect(scrub(url, 'failed: p%40ss%20word, p@ss word')).toBe('failed: ***, ***');
    expect(scrub(url, 'postgres://canvas:p%40ss%20word@db/x')).toBe('postgres://canvas:***@db/x');
    // A short password is masked in its URL form only: every "ab" of the output is not one.
    expect(scrub('postgres://u:ab@db/x', 'tab: postgres://u:ab@db/x')).toBe(
      'tab: postgres://u:***@db/x',
    );
    expect(scrub('postgres://db/x?password=hunter22', 'hunter22')).toBe('***');
    expect(urlSecrets('not a url')).toEqual([]);
  });
});

describe('dbArgument and redactingIo', () => {
  it('finds --db in either form, the last one winning', () => {
    expect(dbArgument(['--out', 'x'])).toBeUndefined();
    expect(dbArgument(['--db', 'postgres://a'])).toBe('postgres://a');
    expect(dbArgument(['--db=postgres://a', '--db', 'postgres://b'])).toBe('postgres://b');
  });

  it('scrubs everything written to stdout and stderr, and keeps the rest of the io', () => {
    let written = '';
    const output = { write: (text: string) => (written += text), isTTY: true, columns: 80 };
    const io: Io = { env: {}, stdout: output, stderr: output, now: () => 0 };
    const scrubbed = redactingIo(io, ['--db', 'postgres://canvas:hunter22@db/x']);
    scrubbed.stdout.write('connecting to postgres://canvas:hunter22@db/x\n');
    scrubbed.stderr.write('password hunter22 refused\n');
    expect(written).toBe('connecting to postgres://canvas:***@db/x\npassword *** refused\n');
    expect(scrubbed.stdout).toMatchObject({ isTTY: true, columns: 80 });
    expect(scrubbed.now).toBe(io.now);
  });
});
