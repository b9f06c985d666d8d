import type { z } from '@hono/zod-openapi';
import { uuidMessage, withoutNulls } from '../contract/common';
import { type ErrorDetail, errorDetail } from '../domain/errors';

export interface FormatErrorEntry {
  field: string;
  msg: string;
  value?: unknown;
}

/** `originator.merchant.merchantName.city`, `thirdPartyIdentifiers[0].institutionId`. */
function fieldPath(path: readonly PropertyKey[]): string {
  return path.map((key, i) => (typeof key === 'number' ? `[${key}]` : `${i === 0 ? '' : '.'}${String(key)}`)).join('');
}

/** An entry with the value received, but for nulls: no answer carries one (contract §1.2). */
const entry = (field: string, msg: string, value: unknown): FormatErrorEntry =>
  value === null || value === undefined ? { field, msg } : { field, msg, value: withoutNulls(value) };

function valueAt(body: unknown, path: readonly PropertyKey[]): unknown {
  let value = body;
  for (const key of path) {
    if (value === null || typeof value !== 'object' || !Object.hasOwn(value, key)) return undefined;
    value = (value as Record<PropertyKey, unknown>)[key];
  }
  return value;
}

/**
 * Contract §1.3: first failure wins. Unknown fields come first, then missing or malformed
 * fields (one entry each), and only then ids that are not 8-4-4-4-12 hex.
 */
export function formatErrors(error: z.ZodError, body: unknown): FormatErrorEntry[] {
  const unknownFields: FormatErrorEntry[] = [];
  const malformed: FormatErrorEntry[] = [];
  const badIds: FormatErrorEntry[] = [];
  for (const issue of error.issues) {
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) {
        const path = [...issue.path, key];
        unknownFields.push(entry(fieldPath(path), `Unrecognized field '${key}'`, valueAt(body, path)));
      }
      continue;
    }
    const field = fieldPath(issue.path);
    const value = valueAt(body, issue.path);
    if (value === undefined || value === null) {
      malformed.push({ field, msg: `${field} may not be null` });
    } else if (issue.message === uuidMessage) {
      badIds.push(entry(field, uuidMessage, value));
    } else {
      malformed.push(entry(field, issue.message, value));
    }
  }
  return [unknownFields, malformed, badIds].find((entries) => entries.length > 0) ?? [];
}

const isAdvicePath = (path: string) => /\/(confirmations|reversals)$/.test(path);
const stringAt = (body: unknown, key: string) => {
  const value = valueAt(body, [key]);
  return typeof value === 'string' ? value : undefined;
};

/**
 * The ids a FORMAT_ERROR carries, as far as they can be read from the body (contract §1.4):
 * an advice's own id and, as `originalId`, the request it settles; a request's id alone.
 */
export function errorIds(body: unknown, path: string): Pick<ErrorDetail, 'id' | 'originalId'> {
  return { id: stringAt(body, 'id'), originalId: isAdvicePath(path) ? stringAt(body, 'requestId') : undefined };
}

/** The FORMAT_ERROR for a message (body, query or path parameters) that failed validation. */
export function invalidMessage(ids: Pick<ErrorDetail, 'id' | 'originalId'>, message: unknown, error: z.ZodError) {
  if (typeof message !== 'object' || message === null || Array.isArray(message)) {
    return errorDetail('formatError', 'The body is not a JSON object.', ids);
  }
  const detailMessage = { formatErrors: formatErrors(error, message) };
  return errorDetail('formatError', 'The message is not valid.', { ...ids, detailMessage });
}
