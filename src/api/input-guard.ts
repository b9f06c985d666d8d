import type { Context } from 'hono';
import { createMiddleware } from 'hono/factory';
import { errorDetail } from '../domain/errors';
import { type JsonTextProblem, jsonTextProblem, maxJsonDepth } from '../domain/json-text';
import { errorIds } from './format-errors';

const messages: Record<JsonTextProblem, string> = {
  'nested too deeply': `The body is nested more than ${maxJsonDepth} levels deep.`,
  'contains a NUL character': 'The message contains a NUL character.',
  'contains an unpaired surrogate': 'The message contains an unpaired UTF-16 surrogate (not valid Unicode).',
};

/** The request's path and query, decoded, as JSON string content: checked like a body's strings. */
function urlProblem(c: Context): JsonTextProblem | 'malformed' | undefined {
  const url = new URL(c.req.url);
  try {
    return jsonTextProblem(JSON.stringify(decodeURIComponent(`${url.pathname}${url.search}`.replaceAll('+', ' '))));
  } catch {
    return 'malformed';
  }
}

/**
 * Refuses, before anything reads it, input that could crash the switch or that no store could
 * keep: a body nested deeper than a message needs (a recursive walk of it could exhaust the stack),
 * NUL characters and unpaired surrogates in a body, a path or a query. Each is a FORMAT_ERROR.
 */
export const inputGuard = createMiddleware(async (c, next) => {
  const inUrl = urlProblem(c);
  if (inUrl) {
    const message = inUrl === 'malformed' ? 'The URL is not valid percent-encoding.' : messages[inUrl];
    return c.json(errorDetail('formatError', message), 400);
  }
  if (c.req.method === 'GET' || c.req.method === 'HEAD' || !/json/i.test(c.req.header('content-type') ?? '')) {
    return next();
  }
  const text = await c.req.text();
  const problem = jsonTextProblem(text);
  if (!problem) return next();
  // A body too deep is not read at all; another's ids are named as contract §1.4 asks.
  const ids = problem === 'nested too deeply' ? {} : errorIds(safeParse(text), c.req.path);
  return c.json(errorDetail('formatError', messages[problem], ids), 400);
});

function safeParse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
