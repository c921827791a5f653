import type { MiddlewareHandler } from 'hono';
import { HTTPException } from 'hono/http-exception';

/**
 * Refuses NUL characters in query strings and JSON bodies with a 400 problem. No Vigil text
 * (a case title, a reason, a name) has a use for them, PostgreSQL cannot store them in text
 * (error 22021) and they hide the rest of a string from many tools; refusing them here, once,
 * keeps SQLite and PostgreSQL installs answering the same.
 */
export function nulGuard(): MiddlewareHandler {
  return async (c, next) => {
    if (/%00/i.test(new URL(c.req.url).search)) throw new HTTPException(400, { message: 'the query string contains a NUL character (%00), which no Vigil parameter accepts' });
    if ((c.req.header('content-type') ?? '').includes('json') && c.req.method !== 'GET' && c.req.method !== 'HEAD') {
      const text = await c.req.text(); // cached by Hono: the route's validator reads it again
      if (text.includes('\u0000') || /\\u0000/i.test(text)) throw new HTTPException(400, { message: 'the request body contains a NUL character (\\u0000), which no Vigil text field accepts' });
    }
    await next();
  };
}
