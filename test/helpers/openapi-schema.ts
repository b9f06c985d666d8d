/**
 * A small JSON Schema (2020-12 subset) validator over an OpenAPI 3.1 document, for checking the
 * switch's answers against its own document. It refuses keywords it does not know, so a schema
 * that grows a constraint this file ignores fails loudly instead of passing unchecked.
 */

export interface Schema {
  [keyword: string]: unknown;
}
export interface OpenApi {
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, Schema> };
}
export interface Operation {
  operationId: string;
  security?: unknown[];
  requestBody?: unknown;
  responses: Record<string, { description: string; content?: Record<string, { schema: Schema }> }>;
}

const annotations = new Set(['description', 'example', 'examples', 'title', 'default', 'deprecated']);
const checked = new Set([
  '$ref',
  'type',
  'enum',
  'const',
  'properties',
  'required',
  'additionalProperties',
  'propertyNames',
  'items',
  'minItems',
  'maxItems',
  'minLength',
  'maxLength',
  'pattern',
  'format',
  'minimum',
  'maximum',
  'anyOf',
  'oneOf',
  'allOf',
]);

// Other formats are annotations only (JSON Schema 2020-12 leaves format assertions optional).
const rfc3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/i;

const typeOf = (value: unknown): string =>
  value === null ? 'null' : Array.isArray(value) ? 'array' : Number.isInteger(value) ? 'integer' : typeof value;

function matchesType(value: unknown, type: string): boolean {
  const actual = typeOf(value);
  return actual === type || (type === 'number' && actual === 'integer');
}

/** Every way `value` fails `schema`, as `path: problem`; empty when it conforms. */
export function validate(doc: OpenApi, schema: Schema, value: unknown, path = '$'): string[] {
  const unknown = Object.keys(schema).filter((k) => !checked.has(k) && !annotations.has(k));
  if (unknown.length > 0) throw new Error(`${path}: unsupported keywords ${unknown.join(', ')}`);
  if (typeof schema.$ref === 'string') {
    const target = doc.components.schemas[schema.$ref.replace('#/components/schemas/', '')];
    if (!target) throw new Error(`${path}: unresolved ${schema.$ref}`);
    return validate(doc, target, value, path);
  }
  const errors: string[] = [];
  const fail = (problem: string) => errors.push(`${path}: ${problem}`);
  const sub = (s: Schema, v: unknown, p = path) => validate(doc, s, v, p);

  if (schema.type !== undefined) {
    const types = [schema.type].flat() as string[];
    if (!types.some((t) => matchesType(value, t)))
      return [`${path}: expected ${types.join('|')}, got ${typeOf(value)}`];
  }
  if (schema.enum && !(schema.enum as unknown[]).includes(value)) fail(`${JSON.stringify(value)} not in enum`);
  if ('const' in schema && schema.const !== value) fail(`expected ${JSON.stringify(schema.const)}`);
  for (const part of (schema.allOf as Schema[] | undefined) ?? []) errors.push(...sub(part, value));
  if (schema.anyOf && !(schema.anyOf as Schema[]).some((s) => sub(s, value).length === 0)) fail('matches no anyOf');
  if (schema.oneOf && (schema.oneOf as Schema[]).filter((s) => sub(s, value).length === 0).length !== 1) {
    fail('does not match exactly one oneOf');
  }

  if (typeof value === 'string') {
    // JSON Schema counts code points, not UTF-16 units.
    const length = [...value].length;
    if (typeof schema.minLength === 'number' && length < schema.minLength) fail('too short');
    if (typeof schema.maxLength === 'number' && length > schema.maxLength) fail('too long');
    if (typeof schema.pattern === 'string' && !new RegExp(schema.pattern, 'u').test(value)) fail('pattern mismatch');
    if (schema.format === 'date-time' && !rfc3339.test(value)) fail('not an RFC 3339 date-time');
  }
  if (typeof value === 'number') {
    if (typeof schema.minimum === 'number' && value < schema.minimum) fail('below minimum');
    if (typeof schema.maximum === 'number' && value > schema.maximum) fail('above maximum');
  }
  if (Array.isArray(value)) {
    if (typeof schema.minItems === 'number' && value.length < schema.minItems)
      fail(`fewer than ${schema.minItems} items`);
    if (typeof schema.maxItems === 'number' && value.length > schema.maxItems)
      fail(`more than ${schema.maxItems} items`);
    if (schema.items) {
      for (const [i, item] of value.entries()) errors.push(...sub(schema.items as Schema, item, `${path}[${i}]`));
    }
  }
  if (typeOf(value) === 'object') {
    const object = value as Record<string, unknown>;
    const properties = (schema.properties ?? {}) as Record<string, Schema>;
    for (const key of (schema.required as string[] | undefined) ?? []) {
      if (!Object.hasOwn(object, key)) fail(`missing required ${key}`);
    }
    for (const [key, field] of Object.entries(object)) {
      if (schema.propertyNames) errors.push(...sub(schema.propertyNames as Schema, key, `${path}[name ${key}]`));
      const property = Object.hasOwn(properties, key) ? properties[key] : undefined;
      if (property) errors.push(...sub(property, field, `${path}.${key}`));
      else if (schema.additionalProperties === false) fail(`unexpected field ${key}`);
      else if (typeof schema.additionalProperties === 'object') {
        errors.push(...sub(schema.additionalProperties as Schema, field, `${path}.${key}`));
      }
    }
  }
  return errors;
}

/** The operation with this id, with its path and method. */
export function operation(doc: OpenApi, operationId: string) {
  for (const [path, methods] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(methods)) {
      if (op.operationId === operationId) return { path, method, ...op };
    }
  }
  throw new Error(`no operation ${operationId}`);
}

/** Paths (`$.a.b[0]`) in a JSON value that hold null. */
export function nullsIn(value: unknown, path = '$'): string[] {
  if (value === null) return [path];
  if (Array.isArray(value)) return value.flatMap((item, i) => nullsIn(item, `${path}[${i}]`));
  if (typeof value === 'object') return Object.entries(value).flatMap(([k, v]) => nullsIn(v, `${path}.${k}`));
  return [];
}
