// The API client: JSON over fetch with the cookie session. Same-origin
// requests carry the session cookie and an Origin the server's CSRF check
// accepts; Accept-Language makes problem messages come back in the
// person's language.
import { getLanguage } from './i18n.js';

/** ApiError is an answer with an error status; problem is its RFC 9457 body. */
export class ApiError extends Error {
  constructor(status, problem) {
    super(problem?.detail || problem?.title || `HTTP ${status}`);
    this.name = 'ApiError';
    this.status = status;
    this.problem = problem || {};
  }
}

/** NetworkError is a request that got no answer at all. */
export class NetworkError extends Error {
  constructor(cause) {
    super('network error');
    this.name = 'NetworkError';
    this.cause = cause;
  }
}

let unauthorized = () => {};

/** onUnauthorized sets what happens on a 401 (the session is gone). */
export function onUnauthorized(fn) { unauthorized = fn; }

/**
 * request calls /api/v1 + path. Options: body (sent as JSON), ifMatch,
 * quiet401 (the caller handles 401 itself, e.g. the login form).
 * Resolves to { status, data, etag }.
 */
export async function request(method, path, { body, ifMatch, quiet401 = false } = {}) {
  const headers = { Accept: 'application/json', 'Accept-Language': getLanguage() };
  const init = { method, headers, credentials: 'same-origin', cache: 'no-store' };
  if (body !== undefined) {
    headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  if (ifMatch) headers['If-Match'] = ifMatch;
  let res;
  try {
    res = await fetch(`/api/v1${path}`, init);
  } catch (err) {
    throw new NetworkError(err);
  }
  let data = null;
  const type = res.headers.get('Content-Type') || '';
  if (res.status !== 204 && type.includes('json')) {
    try { data = await res.json(); } catch { data = null; }
  }
  if (!res.ok) {
    if (res.status === 401 && !quiet401) unauthorized();
    throw new ApiError(res.status, data);
  }
  return { status: res.status, data, etag: res.headers.get('ETag') };
}

/** get returns the body of a GET. */
export async function get(path, opts) { return (await request('GET', path, opts)).data; }

/**
 * page fetches one page of a list: the items and the cursor of the next
 * page (null at the end).
 */
export async function page(path, { limit = 100, cursor = null } = {}) {
  const sep = path.includes('?') ? '&' : '?';
  const p = await get(`${path}${sep}limit=${limit}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
  return { items: p.items, next: p.next_cursor || null };
}

/**
 * listAll follows next_cursor to the end of a list. There is no page cap:
 * a list that stopped early would look complete when it is not. A cursor
 * that repeats (a server bug) ends the walk rather than looping.
 */
export async function listAll(path) {
  const items = [];
  const seen = new Set();
  let cursor = null;
  do {
    const p = await page(path, { cursor });
    items.push(...p.items);
    if (p.next && seen.has(p.next)) throw new Error(`list ${path}: repeated cursor`);
    seen.add(p.next);
    cursor = p.next;
  } while (cursor);
  return items;
}

/**
 * taskETag is the If-Match validator of a task as listed: the API derives
 * a task's ETag from its kind, id and version ("task-<id>-<version>"), and
 * lists do not carry per-item ETags.
 */
export function taskETag(task) { return `"task-${task.id}-${task.version}"`; }
