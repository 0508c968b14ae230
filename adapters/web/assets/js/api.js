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

/** listAll follows next_cursor to collect every item of a list (bounded). */
export async function listAll(path, maxPages = 20) {
  const items = [];
  let cursor = null;
  for (let i = 0; i < maxPages; i++) {
    const sep = path.includes('?') ? '&' : '?';
    const page = await get(cursor ? `${path}${sep}limit=100&cursor=${encodeURIComponent(cursor)}` : `${path}${sep}limit=100`);
    items.push(...page.items);
    if (!page.next_cursor) break;
    cursor = page.next_cursor;
  }
  return items;
}

/**
 * taskETag is the If-Match validator of a task as listed: the API derives
 * a task's ETag from its kind, id and version ("task-<id>-<version>"), and
 * lists do not carry per-item ETags.
 */
export function taskETag(task) { return `"task-${task.id}-${task.version}"`; }
