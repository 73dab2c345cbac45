import { describe, expect, it } from 'vitest';
import {
  isLoopbackHost,
  originAndPath,
  redactUrl,
  resolveRequestUrl,
  sameOrigin,
  withAccessToken,
} from '../../src/http/urls.js';

describe('resolveRequestUrl', () => {
  const base = new URL('https://canvas.example.edu');

  it('resolves a path against the base origin', () => {
    expect(resolveRequestUrl(base, '/api/v1/courses').href).toBe(
      'https://canvas.example.edu/api/v1/courses',
    );
    expect(resolveRequestUrl(base, 'api/v1/courses').href).toBe(
      'https://canvas.example.edu/api/v1/courses',
    );
  });

  it('keeps a path prefix of the base, with or without trailing slash', () => {
    for (const prefixed of ['https://x.example/canvas', 'https://x.example/canvas/']) {
      expect(resolveRequestUrl(new URL(prefixed), '/api/v1/a').href).toBe(
        'https://x.example/canvas/api/v1/a',
      );
    }
  });

  it('names /api/v1 once, whether the base, the path or both have it', () => {
    const cases: Array<[string, string]> = [
      ['https://x.example', '/api/v1/accounts/1'],
      ['https://x.example/api/v1', '/api/v1/accounts/1'],
      ['https://x.example/api/v1/', 'api/v1/accounts/1'],
      ['https://x.example/api/v1', '/accounts/1'],
      ['https://x.example', '/accounts/1'],
      ['https://x.example', 'accounts/1'],
    ];
    for (const [baseUrl, path] of cases) {
      expect(resolveRequestUrl(new URL(baseUrl), path).href, `${baseUrl} + ${path}`).toBe(
        'https://x.example/api/v1/accounts/1',
      );
    }
    // Behind another prefix, and for the other APIs under /api/.
    expect(resolveRequestUrl(new URL('https://x.example/canvas/api/v1'), '/api/v1/a').href).toBe(
      'https://x.example/canvas/api/v1/a',
    );
    expect(resolveRequestUrl(new URL('https://x.example/api/v1'), '/api/lti/courses/1').href).toBe(
      'https://x.example/api/lti/courses/1',
    );
  });

  it('ignores the query and fragment of the base', () => {
    expect(resolveRequestUrl(new URL('https://x.example/?debug=1#top'), '/api/v1/a').href).toBe(
      'https://x.example/api/v1/a',
    );
  });

  it('keeps a query given in the path and appends params after it', () => {
    const url = resolveRequestUrl(base, '/api/v1/courses?enrollment_type=student', {
      per_page: 100,
    });
    expect(url.search).toBe('?enrollment_type=student&per_page=100');
  });

  it('turns arrays into repeated keys and skips undefined values', () => {
    const url = resolveRequestUrl(base, '/api/v1/courses/1/users', {
      'include[]': ['user', 'email'],
      per_page: 100,
      active: true,
      search_term: undefined,
    });
    expect(url.searchParams.getAll('include[]')).toEqual(['user', 'email']);
    expect(url.searchParams.get('per_page')).toBe('100');
    expect(url.searchParams.get('active')).toBe('true');
    expect(url.searchParams.has('search_term')).toBe(false);
    expect(url.search).toBe('?include%5B%5D=user&include%5B%5D=email&per_page=100&active=true');
  });

  it('accepts URLSearchParams', () => {
    const url = resolveRequestUrl(base, '/api/v1/a', new URLSearchParams([['a', '1']]));
    expect(url.search).toBe('?a=1');
  });

  it('leaves the URL without a query when no params are given', () => {
    expect(resolveRequestUrl(base, '/api/v1/a', {}).href).toBe(
      'https://canvas.example.edu/api/v1/a',
    );
  });

  it('accepts an absolute URL on the same origin and keeps it byte-identical', () => {
    const next =
      'https://canvas.example.edu/api/v1/courses/1/users?page=bookmark:WzEyM10&per_page=100';
    expect(resolveRequestUrl(base, next).href).toBe(next);
    expect(resolveRequestUrl(base, next, { 'include[]': ['email'] }).href).toBe(
      `${next}&include%5B%5D=email`,
    );
  });

  it('rejects an absolute URL on another origin without leaking its query', () => {
    const attempt = () =>
      resolveRequestUrl(base, 'https://evil.example/steal?access_token=SECRET&x=1');
    expect(attempt).toThrow(TypeError);
    expect(attempt).toThrow(/evil\.example\/steal/);
    expect(attempt).not.toThrow(/SECRET/);
  });

  it('rejects other schemes, ports and protocol-relative URLs', () => {
    expect(() => resolveRequestUrl(base, 'http://canvas.example.edu/api/v1/a')).toThrow(TypeError);
    expect(() => resolveRequestUrl(base, 'https://canvas.example.edu:8443/api/v1/a')).toThrow(
      TypeError,
    );
    expect(() => resolveRequestUrl(base, '//evil.example/api/v1/a')).toThrow(TypeError);
    expect(() => resolveRequestUrl(base, 'javascript:alert(1)')).toThrow(TypeError);
  });
});

describe('redactUrl', () => {
  it('removes access_token and keeps the rest byte-identical', () => {
    expect(
      redactUrl('https://x.example/api/v1/c?page=bookmark:WzEyM10&access_token=SECRET&per_page=10'),
    ).toBe('https://x.example/api/v1/c?page=bookmark:WzEyM10&per_page=10');
  });

  it('removes the question mark when nothing else remains', () => {
    expect(redactUrl(new URL('https://x.example/a?access_token=SECRET'))).toBe(
      'https://x.example/a',
    );
  });

  it('removes every occurrence, encoded names and other cases too', () => {
    const redacted = redactUrl(
      'https://x.example/a?access_token=S1&b=2&access%5Ftoken=S2&ACCESS_TOKEN=S3&access_token',
    );
    expect(redacted).toBe('https://x.example/a?b=2');
  });

  it('removes access_token from a query-like fragment and credentials from the authority', () => {
    expect(redactUrl('https://user:pw@x.example/cb#access_token=SECRET&state=1')).toBe(
      'https://x.example/cb#state=1',
    );
  });

  it('keeps parameters whose names only contain the word', () => {
    expect(redactUrl('https://x.example/a?my_access_token_id=1')).toBe(
      'https://x.example/a?my_access_token_id=1',
    );
  });

  it('redacts a relative path and returns it as a path', () => {
    expect(redactUrl('/api/v1/a?access_token=SECRET&page=2')).toBe('/api/v1/a?page=2');
  });

  it('gives the same answer for a URL object (its fast path) as for its text', () => {
    for (const text of [
      'https://x.edu/api/v1/courses?per_page=100',
      'https://x.edu/api/v1/courses?page=bookmark:WzEyM10&per_page=100#frag',
      'https://x.edu/api/v1/courses?ACCESS_TOKEN=s&x=1',
      'https://x.edu/api/v1/courses?access%5Ftoken=s&x=1',
      'https://x.edu/api/v1/courses?%61ccess_token=s',
      'https://x.edu/api/v1/courses#access_token=s&y=2',
      'https://me:pw@x.edu/api/v1/courses',
      'https://x.edu/api/v1/courses?accessible=1',
      'https://x.edu/api/v1/courses',
    ]) {
      expect(redactUrl(new URL(text)), text).toBe(redactUrl(text));
    }
    expect(redactUrl(new URL('https://x.edu/a?%61ccess_token=s&b=1'))).toBe('https://x.edu/a?b=1');
  });

  it('never throws on garbage', () => {
    expect(redactUrl('not a url access_token=SECRET')).toBe('[invalid url]');
    expect(redactUrl('')).toBe('[invalid url]');
    expect(redactUrl('http://')).toBe('[invalid url]');
  });
});

describe('originAndPath', () => {
  it('drops credentials, query and fragment', () => {
    expect(originAndPath('https://u:p@evil.example/steal?page=2#x')).toBe(
      'https://evil.example/steal',
    );
    expect(originAndPath('garbage')).toBe('[invalid url]');
  });
});

describe('sameOrigin', () => {
  it('compares scheme, host and port', () => {
    expect(sameOrigin('https://x.example/a', new URL('https://x.example:443/b?c'))).toBe(true);
    expect(sameOrigin('https://x.example/a', 'http://x.example/a')).toBe(false);
    expect(sameOrigin('https://x.example/a', 'https://x.example:8443/a')).toBe(false);
    expect(sameOrigin('https://x.example/a', 'https://y.x.example/a')).toBe(false);
    expect(sameOrigin('https://X.EXAMPLE/a', 'https://x.example/a')).toBe(true);
  });

  it('is false for garbage and opaque origins', () => {
    expect(sameOrigin('garbage', 'garbage')).toBe(false);
    expect(sameOrigin('data:text/plain,a', 'data:text/plain,a')).toBe(false);
  });
});

describe('isLoopbackHost', () => {
  it.each([
    'localhost',
    'LOCALHOST',
    'localhost.',
    'canvas.localhost',
    '127.0.0.1',
    '127.255.255.254',
    '127.1',
    '::1',
    '[::1]',
    '0:0:0:0:0:0:0:1',
    '[::ffff:127.0.0.1]',
  ])('%s is loopback', (host) => {
    expect(isLoopbackHost(host)).toBe(true);
  });

  it.each([
    'canvas.example.edu',
    'localhost.example.edu',
    'notlocalhost',
    '128.0.0.1',
    '10.0.0.1',
    '0.0.0.0',
    '127.0.0.1.example.edu',
    'evil.example@127.0.0.1',
    '::2',
    '[::ffff:10.0.0.1]',
    '',
  ])('%s is not loopback', (host) => {
    expect(isLoopbackHost(host)).toBe(false);
  });
});

describe('withAccessToken', () => {
  it('sets the token on a copy, keeping other parameters byte-identical', () => {
    const url = new URL('https://x.example/api/v1/a?page=bookmark:WzEyM10&per_page=100');
    const withToken = withAccessToken(url, 'to ken/+=');
    expect(withToken.href).toBe(
      'https://x.example/api/v1/a?page=bookmark:WzEyM10&per_page=100&access_token=to%20ken%2F%2B%3D',
    );
    expect(withToken.searchParams.get('access_token')).toBe('to ken/+=');
    expect(url.href).toBe('https://x.example/api/v1/a?page=bookmark:WzEyM10&per_page=100');
  });

  it('replaces an existing token and works without a query', () => {
    expect(withAccessToken(new URL('https://x.example/a?access_token=old'), 'new').href).toBe(
      'https://x.example/a?access_token=new',
    );
    expect(withAccessToken(new URL('https://x.example/a'), 't').href).toBe(
      'https://x.example/a?access_token=t',
    );
  });

  it('round-trips through redactUrl', () => {
    const url = new URL('https://x.example/a?b=1');
    expect(redactUrl(withAccessToken(url, 'SECRET'))).toBe(url.href);
  });
});
