import type { OpenAPIHono } from '@hono/zod-openapi';
import type { AppEnv } from '../deps';

/** The parts of an OpenAPI 3.1 document the page shows. */
export interface JsonSchema {
  $ref?: string;
  type?: string | string[];
  enum?: unknown[];
  items?: JsonSchema;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  additionalProperties?: boolean | JsonSchema;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  allOf?: JsonSchema[];
  description?: string;
  [constraint: string]: unknown;
}
interface Operation {
  operationId?: string;
  summary?: string;
  security?: unknown[];
  parameters?: Array<{
    name: string;
    in: string;
    required?: boolean;
    style?: string;
    explode?: boolean;
    schema?: JsonSchema;
  }>;
  requestBody?: { content?: Record<string, { schema?: JsonSchema }> };
  responses?: Record<string, { description?: string; content?: Record<string, { schema?: JsonSchema }> }>;
}
export interface OpenApiDocument {
  info: { title: string; version: string };
  paths?: Record<string, Record<string, Operation>>;
  components?: { schemas?: Record<string, JsonSchema> };
}

const html = (text: unknown) => String(text).replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);

const refName = (ref: string) => ref.slice(ref.lastIndexOf('/') + 1);
const schemaLink = (name: string) => `<a href="#schema-${html(name)}">${html(name)}</a>`;

/** A schema's type in one line: `Institution`, `ThirdPartyIdentifier[]`, `"DEBIT" | "CREDIT"`. */
function typeOf(schema: JsonSchema | undefined): string {
  if (!schema) return '';
  if (schema.$ref) return schemaLink(refName(schema.$ref));
  if (schema.enum) return schema.enum.map((value) => `<code>${html(JSON.stringify(value))}</code>`).join(' | ');
  const union = schema.anyOf ?? schema.oneOf;
  if (union) return union.map(typeOf).join(' | ');
  if (schema.allOf) return schema.allOf.map(typeOf).join(' &amp; ');
  const types = [schema.type ?? 'any'].flat();
  return types
    .map((type) => {
      if (type === 'array') return `${typeOf(schema.items)}[]`;
      if (type === 'object' && typeof schema.additionalProperties === 'object' && !schema.properties) {
        const values = typeOf(schema.additionalProperties);
        return values === 'any' ? 'object' : `map of ${values}`;
      }
      return html(type);
    })
    .join(' | ');
}

/** Length, size and format constraints, in words. */
function constraints(schema: JsonSchema): string {
  const notes = [
    typeof schema.format === 'string' && schema.format,
    schema.minLength !== undefined && `≥ ${schema.minLength} chars`,
    schema.maxLength !== undefined && `≤ ${schema.maxLength} chars`,
    schema.pattern !== undefined && `matches <code>${html(schema.pattern)}</code>`,
    schema.minimum !== undefined && `≥ ${schema.minimum}`,
    schema.maximum !== undefined && `≤ ${schema.maximum}`,
    schema.minItems !== undefined && `≥ ${schema.minItems} items`,
    schema.description && html(schema.description),
  ];
  return notes.filter(Boolean).join('; ');
}

const table = (head: string[], rows: string[][]) =>
  rows.length === 0
    ? ''
    : `<table><tr>${head.map((h) => `<th>${h}</th>`).join('')}</tr>${rows
        .map((row) => `<tr>${row.map((cell) => `<td>${cell}</td>`).join('')}</tr>`)
        .join('')}</table>`;

const bodySchema = (content: Record<string, { schema?: JsonSchema }> | undefined) =>
  typeOf(Object.values(content ?? {})[0]?.schema);

function operationHtml(method: string, operation: Operation): string {
  const id = operation.operationId ?? '';
  const parameters = (operation.parameters ?? []).flatMap((p) => {
    // An exploded object is its properties in the query string; `anyOf` names those one of which is required.
    const exploded = p.explode && p.schema?.type === 'object' ? p.schema.properties : undefined;
    if (!exploded) return [[`<code>${html(p.name)}</code>`, html(p.in), typeOf(p.schema), p.required ? 'yes' : '']];
    const oneOf = (p.schema?.anyOf ?? []).flatMap((rule) => rule.required ?? []);
    return Object.entries(exploded).map(([name, schema]) => [
      `<code>${html(name)}</code>`,
      html(p.in),
      typeOf(schema),
      oneOf.includes(name) ? `one of ${oneOf.map(html).join(', ')}` : '',
    ]);
  });
  const responses = Object.entries(operation.responses ?? {}).map(([status, response]) => [
    `<b>${html(status)}</b>`,
    html(response.description ?? ''),
    bodySchema(response.content),
  ]);
  return `<article id="op-${html(id)}">
<h4><span class="method">${html(method.toUpperCase())}</span> ${html(operation.summary ?? '')} <code>${html(id)}</code></h4>
${operation.security?.length ? '<p class="note">HTTP Basic authentication</p>' : ''}
${operation.requestBody ? `<p>Request body: ${bodySchema(operation.requestBody.content)}</p>` : ''}
${table(['Parameter', 'In', 'Type', 'Required'], parameters)}
${table(['Status', 'Description', 'Body'], responses)}
</article>`;
}

/** A schema's fields as rows; an inline object's fields follow as `parent.field`. */
function fieldRows(schema: JsonSchema, prefix = ''): string[][] {
  const required = new Set(schema.required ?? []);
  return Object.entries(schema.properties ?? {}).flatMap(([field, property]) => [
    [
      `<code>${html(prefix + field)}</code>`,
      typeOf(property),
      required.has(field) ? '<span class="req">required</span>' : '',
      constraints(property),
    ],
    ...fieldRows(property, `${prefix}${field}.`),
  ]);
}

function schemaHtml(name: string, schema: JsonSchema): string {
  const closed = schema.additionalProperties === false ? '<p class="note">Other fields are refused.</p>' : '';
  const summary = schema.properties ? '' : `<p>${typeOf(schema)} ${constraints(schema)}</p>`;
  const rows = table(['Field', 'Type', '', 'Notes'], fieldRows(schema));
  return `<section id="schema-${html(name)}"><h3>${html(name)}</h3>${summary}${rows}${closed}</section>`;
}

const style = `body{font:15px/1.5 system-ui,sans-serif;max-width:64rem;margin:2rem auto;padding:0 1rem;color:#222}
h2{border-bottom:2px solid #ddd;margin-top:2.5rem}h3{margin:1.5rem 0 .5rem}h4{margin:.75rem 0 .25rem}
table{border-collapse:collapse;margin:.5rem 0;width:100%}th,td{border:1px solid #ddd;padding:.25rem .5rem;text-align:left;vertical-align:top}
th{background:#f5f5f5}code{font-size:90%}.method{background:#246;color:#fff;border-radius:3px;padding:0 .4rem;font-size:80%}
.req{color:#a00}.note{color:#666;margin:.25rem 0}article{border-left:3px solid #ddd;padding-left:.75rem;margin:1rem 0}`;

/** The API page: the OpenAPI document as HTML, operations by path, then the schemas they use. */
export function renderDocs(document: OpenApiDocument): string {
  const paths = Object.entries(document.paths ?? {});
  const schemas = Object.entries(document.components?.schemas ?? {}).sort(([a], [b]) => a.localeCompare(b));
  const operations = paths
    .map(
      ([path, methods]) =>
        `<section><h3><code>${html(path)}</code></h3>${Object.entries(methods)
          .map(([method, operation]) => operationHtml(method, operation))
          .join('')}</section>`,
    )
    .join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${html(document.info.title)}</title><style>${style}</style></head>
<body><h1>${html(document.info.title)} <small>${html(document.info.version)}</small></h1>
<p>Generated from <a href="/openapi.json">/openapi.json</a>. Errors always come as an ${schemaLink('ErrorDetail')}.</p>
<h2>Operations</h2>
${operations}
<h2>Schemas</h2>
${schemas.map(([name, schema]) => schemaHtml(name, schema)).join('\n')}
</body></html>`;
}

/** `GET /docs`: the API page, rendered once from the same document as `/openapi.json`. */
export function registerDocsRoutes(app: OpenAPIHono<AppEnv>, document: () => OpenApiDocument) {
  let page: string | undefined;
  app.get('/docs', (c) => {
    page ??= renderDocs(document());
    return c.html(page);
  });
}
