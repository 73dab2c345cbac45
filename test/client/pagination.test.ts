import { describe, expect, it } from 'vitest';
import {
  CanvasAbortError,
  type CanvasPage,
  CanvasPaginationError,
  CanvasResponseError,
  type CanvasSyncClient,
} from '../../src/index.js';
import type { CanvasSimulator, LazyList } from '../../src/testing/index.js';
import {
  createClient,
  eventsOf,
  recordEvents,
  rejectionOf,
  startSim,
  startStubServer,
} from '../support/client.js';
import { nth } from '../support/http.js';

interface Record {
  id: number;
}

/** The ids of a ground-truth list, in order. */
function idsOf(list: LazyList<{ id: number }> | undefined): number[] {
  return Array.from({ length: list?.length ?? 0 }, (_, index) => nth(list, index).id);
}

/** Every record of a walk (and the error that ended it, if any). */
async function walk(records: AsyncIterable<Record>): Promise<{ ids: number[]; error: unknown }> {
  const ids: number[] = [];
  try {
    for await (const record of records) ids.push(record.id);
  } catch (error) {
    return { ids, error };
  }
  return { ids, error: undefined };
}

/** Every page of a walk. */
async function allPages(
  client: CanvasSyncClient,
  path: string,
  options: Parameters<CanvasSyncClient['pages']>[1] = {},
): Promise<CanvasPage<Record>[]> {
  const pages: CanvasPage<Record>[] = [];
  for await (const page of client.pages<Record>(path, options)) pages.push(page);
  return pages;
}

function firstCourse(sim: CanvasSimulator): number {
  return nth(sim.data.courses).id;
}

describe('CanvasSyncClient pagination', () => {
  it('walks bookmark pages (enrollments) in order, asking for per_page=100', async () => {
    // 230 students + teacher + TA: three pages of 100.
    const sim = await startSim({
      institution: { courses: 1, students: 240, studentsPerCourse: 230 },
    });
    const client = createClient(sim);
    const events = recordEvents(client);
    const courseId = firstCourse(sim);
    const { ids, error } = await walk(
      client.paginate<Record>(`/api/v1/courses/${courseId}/enrollments`),
    );
    expect(error).toBeUndefined();
    const truth = idsOf(sim.data.enrollments(courseId));
    expect(truth).toHaveLength(232);
    expect(ids).toEqual(truth);

    const urls = eventsOf(events, 'request').map((event) => new URL(event.url));
    expect(urls).toHaveLength(3);
    expect(urls.every((url) => url.searchParams.get('per_page') === '100')).toBe(true);
    expect(urls[0]?.searchParams.has('page')).toBe(false);
    expect(urls[1]?.searchParams.get('page')).toMatch(/^bookmark:/);
    expect(sim.stats().requests).toBe(3);
  });

  it('yields pages with their number, URL, links and response', async () => {
    const sim = await startSim();
    const client = createClient(sim);
    const courseId = firstCourse(sim);
    const pages = await allPages(client, `/api/v1/courses/${courseId}/enrollments`, {
      perPage: 10,
    });
    // 30 students + teacher + TA = 32: pages of 10, 10, 10, 2.
    expect(pages.map((page) => page.pageNumber)).toEqual([1, 2, 3, 4]);
    expect(pages.map((page) => page.items.length)).toEqual([10, 10, 10, 2]);
    const [first, second] = pages;
    expect(first?.url).toBe(`${sim.url}/api/v1/courses/${courseId}/enrollments?per_page=10`);
    expect(first?.links.current).toBeDefined();
    expect(first?.links.first).toBeDefined();
    expect(first?.links.next).toBe(second?.url);
    expect(first?.links.last).toBeUndefined(); // bookmarks have no last
    expect(pages.at(-1)?.links.next).toBeUndefined();
    expect(first?.response.status).toBe(200);
    expect(first?.response.rateLimit.remaining).toBeGreaterThan(0);
    expect(pages.flatMap((page) => page.items.map((item) => item.id))).toEqual(
      idsOf(sim.data.enrollments(courseId)),
    );
  });

  it('walks numbered pages (course users) with the client perPage', async () => {
    const sim = await startSim();
    const client = createClient(sim, { perPage: 7 });
    const events = recordEvents(client);
    const courseId = firstCourse(sim);
    const pages = await allPages(client, `/api/v1/courses/${courseId}/users`);
    expect(pages.map((page) => page.items.length)).toEqual([7, 7, 7, 7, 4]);
    expect(pages.flatMap((page) => page.items.map((item) => item.id))).toEqual(
      idsOf(sim.data.courseUsers(courseId)),
    );
    const [first, second] = pages;
    expect(first?.links.last).toMatch(/[?&]page=5(&|$)/);
    expect(second?.links.prev).toMatch(/[?&]page=1(&|$)/);
    const urls = eventsOf(events, 'request').map((event) => new URL(event.url));
    expect(urls.map((url) => url.searchParams.get('per_page'))).toEqual(['7', '7', '7', '7', '7']);
    expect(urls.map((url) => url.searchParams.get('page'))).toEqual([null, '2', '3', '4', '5']);
  });

  it('lets perPage and an explicit per_page override the client default', async () => {
    const sim = await startSim();
    const client = createClient(sim, { perPage: 7 });
    const events = recordEvents(client);
    const path = `/api/v1/courses/${firstCourse(sim)}/users`;
    expect((await allPages(client, path, { perPage: 16 })).map((p) => p.items.length)).toEqual([
      16, 16,
    ]);
    const explicit = await allPages(client, path, {
      perPage: 16,
      searchParams: { per_page: 20 },
    });
    expect(explicit.map((page) => page.items.length)).toEqual([20, 12]);
    const firstUrls = eventsOf(events, 'request')
      .map((event) => new URL(event.url).searchParams)
      .filter((params) => !params.has('page'))
      .map((params) => params.getAll('per_page'));
    expect(firstUrls).toEqual([['16'], ['20']]);
  });

  it('keeps the searchParams of the first page on every page', async () => {
    const sim = await startSim();
    const client = createClient(sim);
    const events = recordEvents(client);
    const courseId = firstCourse(sim);
    const assignment = nth(sim.data.assignments(courseId));
    const submissions: Array<{ user?: { id: number }; user_id: number }> = [];
    for await (const submission of client.paginate<{ user?: { id: number }; user_id: number }>(
      `/api/v1/courses/${courseId}/assignments/${assignment.id}/submissions`,
      { perPage: 8, searchParams: { 'include[]': ['user'] } },
    )) {
      submissions.push(submission);
    }
    expect(submissions).toHaveLength(30);
    expect(submissions.every((s) => s.user?.id === s.user_id)).toBe(true);
    const requests = eventsOf(events, 'request');
    expect(requests).toHaveLength(4);
    for (const request of requests) {
      expect(new URL(request.url).searchParams.getAll('include[]')).toEqual(['user']);
    }
  });

  it('picks records out of a wrapped body with itemsOf (terms)', async () => {
    const sim = await startSim({ institution: { courses: 1, terms: 3 } });
    const client = createClient(sim);
    const terms: unknown[] = [];
    for await (const term of client.paginate('/api/v1/accounts/1/terms', {
      itemsOf: (body) => (body as { enrollment_terms?: unknown[] }).enrollment_terms,
    })) {
      terms.push(term);
    }
    expect(terms).toHaveLength(3);
    expect(terms).toEqual(JSON.parse(JSON.stringify(sim.data.terms)));
    expect(sim.stats().requests).toBe(1);
  });

  it('fails with CanvasResponseError when a page is not an array', async () => {
    const sim = await startSim();
    const client = createClient(sim);
    const { ids, error } = await walk(client.paginate<Record>('/api/v1/accounts/1/terms'));
    expect(ids).toEqual([]);
    expect(error).toBeInstanceOf(CanvasResponseError);
    expect((error as CanvasResponseError).detail).toBe('expected a JSON array of records');
  });

  it('refuses a next link on a foreign origin, which never gets a request', async () => {
    const foreign = await startStubServer();
    const sim = await startSim({ faults: { foreignNextRate: 1, foreignOrigin: foreign.url } });
    for (const authMode of ['header', 'query'] as const) {
      const client = createClient(sim, { authMode });
      const courseId = firstCourse(sim);
      const { ids, error } = await walk(
        client.paginate<Record>(`/api/v1/courses/${courseId}/enrollments`, { perPage: 10 }),
      );
      expect(ids).toEqual(idsOf(sim.data.enrollments(courseId)).slice(0, 10));
      expect(error).toBeInstanceOf(CanvasPaginationError);
      const pagination = error as CanvasPaginationError;
      expect(pagination.code).toBe('PAGINATION_ERROR');
      expect(pagination.reason).toBe('foreign-origin');
      expect(pagination.url).toBe(`${sim.url}/api/v1/courses/${courseId}/enrollments?per_page=10`);
      // Only the origin and path of the foreign link are kept.
      expect(pagination.nextUrl).toBe(`${foreign.url}/api/v1/courses/${courseId}/enrollments`);
    }
    expect(foreign.requests).toHaveLength(0);
    expect(sim.stats().requests).toBe(2);
  });

  it('stops with reason loop on an invalid bookmark instead of looping', async () => {
    const sim = await startSim({ faults: { invalidBookmarkRate: 1 } });
    const client = createClient(sim);
    const courseId = firstCourse(sim);
    const { ids, error } = await walk(
      client.paginate<Record>(`/api/v1/courses/${courseId}/enrollments`, { perPage: 10 }),
    );
    expect(error).toBeInstanceOf(CanvasPaginationError);
    expect((error as CanvasPaginationError).reason).toBe('loop');
    expect((error as CanvasPaginationError).nextUrl).toContain('page=bookmark%3Anot-a-bookmark');
    // The bad bookmark restarts at page 1; the repeat of its next link is caught on page 2,
    // before that page is yielded: no record comes out twice.
    expect(sim.stats().requests).toBe(2);
    expect(ids).toEqual(idsOf(sim.data.enrollments(courseId)).slice(0, 10));
  });

  it('re-adds the access_token on every page in query auth mode, and never shows it', async () => {
    const token = 'query-mode-token-5f3a';
    const sim = await startSim({ tokens: [token] });
    const client = createClient(sim, { authMode: 'query' });
    const events = recordEvents(client);
    const courseId = firstCourse(sim);
    const pages = await allPages(client, `/api/v1/courses/${courseId}/enrollments`, {
      perPage: 10,
    });
    expect(pages.flatMap((page) => page.items.map((item) => item.id))).toEqual(
      idsOf(sim.data.enrollments(courseId)),
    );
    // Four pages, each authenticated (an unauthenticated request would have failed with 401).
    expect(sim.stats(token).requests).toBe(4);
    for (const page of pages) {
      // Canvas strips the token from Link URLs; the client does not show it either.
      for (const link of Object.values(page.links)) expect(link).not.toContain('access_token');
      expect(page.url).not.toContain(token);
      expect(page.response.url).not.toContain(token);
    }
    for (const event of events) {
      expect(JSON.stringify(event.payload)).not.toContain(token);
      expect(JSON.stringify(event.payload)).not.toContain('access_token');
    }
  });

  it('sends the token as access_token, not as a header, in query auth mode', async () => {
    const stub = await startStubServer();
    const client = createClient(stub.url, { authMode: 'query', token: 'stub-query-token' });
    await client.get('/api/v1/things', { searchParams: { a: 1 } });
    expect(stub.requests[0]?.url).toBe('/api/v1/things?a=1&access_token=stub-query-token');
    expect(stub.requests[0]?.headers.authorization).toBeUndefined();
  });

  it('retries a failed page transparently in the middle of a walk', async () => {
    const sim = await startSim();
    const client = createClient(sim);
    const courseId = firstCourse(sim);
    let pagesSeen = 0;
    client.on('response', () => {
      pagesSeen++;
      if (pagesSeen === 1) sim.setFaults({ serverErrorRate: 1 });
    });
    client.on('retry', () => sim.setFaults({}));
    const { ids, error } = await walk(
      client.paginate<Record>(`/api/v1/courses/${courseId}/users`, { perPage: 10 }),
    );
    expect(error).toBeUndefined();
    expect(ids).toEqual(idsOf(sim.data.courseUsers(courseId)));
    expect(client.stats().retries).toBe(1);
  });

  it('stops a walk when its signal aborts', async () => {
    const sim = await startSim();
    const client = createClient(sim);
    const controller = new AbortController();
    const ids: number[] = [];
    const error = await rejectionOf(
      (async () => {
        for await (const record of client.paginate<Record>(
          `/api/v1/courses/${firstCourse(sim)}/enrollments`,
          { perPage: 5, signal: controller.signal },
        )) {
          ids.push(record.id);
          if (ids.length === 5) controller.abort();
        }
      })(),
    );
    expect(error).toBeInstanceOf(CanvasAbortError);
    expect(ids).toHaveLength(5);
    expect(sim.stats().requests).toBe(1);
  });

  it('completes a numbered walk while the collection changes (no dedupe yet)', async () => {
    // Offset pagination over a changing collection yields duplicates and skips. The client does
    // not deduplicate (a later feature); it must still finish the walk.
    const sim = await startSim({ faults: { mutationRate: 1 } });
    const client = createClient(sim);
    const courseId = firstCourse(sim);
    const pages = await allPages(client, `/api/v1/courses/${courseId}/users`, { perPage: 5 });
    const ids = pages.flatMap((page) => page.items.map((item) => item.id));
    const truth = idsOf(sim.data.courseUsers(courseId));
    expect(sim.faultCounts().mutation).toBe(pages.length - 1);
    expect(pages.length).toBeGreaterThan(3);
    const duplicates = ids.length - new Set(ids).size;
    const skipped = truth.filter((id) => !ids.includes(id)).length;
    expect(duplicates + skipped).toBeGreaterThan(0);
    expect(ids).not.toEqual(truth);
  });
});

describe('CanvasSyncClient pagination guards', () => {
  it('stops with reason invalid-link on a next link that is not a URL, instead of truncating quietly', async () => {
    const sim = await startSim();
    // The simulator never writes a broken URL; a misbehaving proxy might.
    const breakLinks = async (input: Request | string | URL, init?: RequestInit) => {
      const response = await fetch(input, init);
      const headers = new Headers(response.headers);
      headers.set('link', '<http://[broken>; rel="next"');
      return new Response(await response.arrayBuffer(), { status: response.status, headers });
    };
    const client = createClient(sim, { fetch: breakLinks });
    const courseId = firstCourse(sim);
    const { ids, error } = await walk(
      client.paginate<Record>(`/api/v1/courses/${courseId}/enrollments`, { perPage: 10 }),
    );
    expect(ids).toHaveLength(10);
    expect(error).toBeInstanceOf(CanvasPaginationError);
    expect((error as CanvasPaginationError).reason).toBe('invalid-link');
  });

  it('rejects a perPage outside 1..100 before sending anything', async () => {
    const sim = await startSim();
    const client = createClient(sim);
    for (const perPage of [0, 101, 2.5, Number.NaN]) {
      await expect(client.paginate('/api/v1/courses/1/users', { perPage }).next()).rejects.toThrow(
        /perPage/,
      );
    }
    expect(sim.stats().requests).toBe(0);
  });
});
