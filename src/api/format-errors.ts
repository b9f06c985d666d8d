import type { z } from '@hono/zod-openapi';
import { uuidMessage } from './schemas/common';

export interface FormatErrorEntry {
  field: string;
  msg: string;
  value?: unknown;
}

/** `originator.merchant.merchantName.city`, `thirdPartyIdentifiers[0].institutionId`. */
function fieldPath(path: readonly PropertyKey[]): string {
  return path.map((key, i) => (typeof key === 'number' ? `[${key}]` : `${i === 0 ? '' : '.'}${String(key)}`)).join('');
}

function valueAt(body: unknown, path: readonly PropertyKey[]): unknown {
  let value = body;
  for (const key of path) {
    if (value === null || typeof value !== 'object') return undefined;
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
        unknownFields.push({ field: fieldPath(path), msg: `Unrecognized field '${key}'`, value: valueAt(body, path) });
      }
      continue;
    }
    const field = fieldPath(issue.path);
    const value = valueAt(body, issue.path);
    if (value === undefined || value === null) {
      malformed.push({ field, msg: `${field} may not be null` });
    } else if (issue.message === uuidMessage) {
      badIds.push({ field, msg: uuidMessage, value });
    } else {
      malformed.push({ field, msg: issue.message, value });
    }
  }
  return [unknownFields, malformed, badIds].find((entries) => entries.length > 0) ?? [];
}
