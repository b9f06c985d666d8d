/**
 * What JSON text may hold before the switch parses it: nesting no deeper than a contract message
 * needs (a recursive walk of a deeper one could exhaust the stack), and text PostgreSQL can store
 * (no NUL character, no unpaired UTF-16 surrogate). Read as text in one pass, without recursion.
 */

/** Contract messages nest six levels at most (`originator.merchant.merchantName`); free-form parts get room. */
export const maxJsonDepth = 32;

export type JsonTextProblem = 'nested too deeply' | 'contains a NUL character' | 'contains an unpaired surrogate';

export function jsonTextProblem(text: string, maxDepth = maxJsonDepth): JsonTextProblem | undefined {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    if (inString) {
      if (ch === 0x5c /* \ */) {
        const escaped = text.charCodeAt(i + 1);
        if (escaped === 0x75 /* u */) {
          const unit = Number.parseInt(text.slice(i + 2, i + 6), 16);
          if (unit === 0) return 'contains a NUL character';
          if (unit >= 0xd800 && unit <= 0xdbff) {
            const next = text.slice(i + 6, i + 8) === '\\u' ? Number.parseInt(text.slice(i + 8, i + 12), 16) : -1;
            if (!(next >= 0xdc00 && next <= 0xdfff)) return 'contains an unpaired surrogate';
            i += 6;
          } else if (unit >= 0xdc00 && unit <= 0xdfff) {
            return 'contains an unpaired surrogate';
          }
          i += 5;
        } else {
          i += 1;
        }
      } else if (ch === 0x22 /* " */) {
        inString = false;
      } else if (ch === 0) {
        return 'contains a NUL character';
      } else if (ch >= 0xd800 && ch <= 0xdbff) {
        const next = text.charCodeAt(i + 1);
        if (!(next >= 0xdc00 && next <= 0xdfff)) return 'contains an unpaired surrogate';
        i += 1;
      } else if (ch >= 0xdc00 && ch <= 0xdfff) {
        return 'contains an unpaired surrogate';
      }
    } else if (ch === 0x22) {
      inString = true;
    } else if (ch === 0x7b /* { */ || ch === 0x5b /* [ */) {
      depth += 1;
      if (depth > maxDepth) return 'nested too deeply';
    } else if (ch === 0x7d || ch === 0x5d) {
      depth -= 1;
    }
  }
  return undefined;
}

/**
 * A copy of a parsed JSON value that PostgreSQL can store whatever it holds: NUL characters and
 * unpaired surrogates become U+FFFD. For values already within `maxJsonDepth`.
 */
export function storableJson<T>(value: T): T {
  if (typeof value === 'string') return storableText(value) as T;
  if (Array.isArray(value)) return value.map(storableJson) as T;
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(Object.entries(value).map(([key, field]) => [storableText(key), storableJson(field)])) as T;
}

/** Node 20 has `String.prototype.toWellFormed` (V8 11.3); its types only come with ES2024's lib. */
type WellFormed = string & { toWellFormed(): string };

export function storableText(text: string): string {
  return (text as WellFormed).toWellFormed().replaceAll('\u0000', '\uFFFD');
}
