import { Hono } from 'hono';
import { OpenApiBuilder, type OpenAPIObject, type OperationObject, type ParameterObject, type ResponseObject, type SchemaObject } from 'openapi3-ts/oas31';
import { z } from 'zod';
import { ErrorBody } from './api-schemas.ts';
import type { AppEnv } from './app.ts';
import { approvalDocs } from './approvals.ts';
import { healthAndMetricsDocs } from './health-and-metrics.ts';
import { mockDocs } from './mock-routes.ts';
import { recipeAndTimerDocs } from './recipes-and-timers.ts';
import { outboxDocs } from './outbox.ts';
import { runDocs } from './runs.ts';
import { leadImportDocs } from './lead-imports.ts';
import { webhookDocs } from './webhooks.ts';

/**
 * What each route file says about its routes; `GET /openapi.json` (and `partnerflow openapi`) is built
 * from these, with every schema generated from the zod schema the route validates or is typed by.
 * app.test.ts checks that every route the app registers is documented.
 */
export interface RouteDoc {
  method: 'get' | 'post' | 'patch';
  /** Hono syntax: `/runs/:id`. */
  path: string;
  tag: string;
  summary: string;
  description?: string;
  /** Needs `Authorization: Bearer <PARTNERFLOW_API_TOKEN>` when a token is configured. */
  auth?: boolean;
  /** Path parameters and what they hold. */
  params?: Record<string, string>;
  /** Required request headers and what they hold. */
  headers?: Record<string, string>;
  query?: z.ZodObject;
  body?: { schema: z.ZodType; contentTypes?: string[] };
  responses: Record<number, ResponseDoc>;
}

export interface ResponseDoc {
  description: string;
  /** A JSON body of this shape. */
  schema?: z.ZodType;
  /** An HTML page (approval links); with `schema`, JSON is the alternative for JSON requests. */
  html?: boolean;
  /** A text body of another type (Prometheus metrics). */
  contentType?: string;
}

export const openapiDocs: RouteDoc[] = [
  {
    method: 'get',
    path: '/openapi.json',
    tag: 'operations',
    summary: 'This document',
    responses: { 200: { description: 'OpenAPI 3.1 document', contentType: 'application/json' } },
  },
];

/** Every documented route; the `/_mock` ones only when the app runs in mock mode. */
export function routeDocs(options: { mock: boolean }): RouteDoc[] {
  return [...webhookDocs, ...approvalDocs, ...runDocs, ...outboxDocs, ...leadImportDocs, ...recipeAndTimerDocs, ...healthAndMetricsDocs, ...openapiDocs, ...(options.mock ? mockDocs : [])];
}

export function buildOpenApiDocument(options: { mock: boolean; serverUrl?: string }): OpenAPIObject {
  const builder = OpenApiBuilder.create()
    .addOpenApiVersion('3.1.0')
    .addTitle('Partnerflow')
    .addVersion('0.1.0')
    .addDescription(
      'Webhook runtime of Partnerflow: signed webhooks start recipe runs, approval links decide waiting runs, and the runs API shows and controls them. ' +
        'Times are ISO 8601; the runs API answers camelCase like the store, the webhook exchange snake_case like the systems that call it.',
    )
    .addSecurityScheme('bearer', { type: 'http', scheme: 'bearer', description: 'PARTNERFLOW_API_TOKEN' });
  if (options.serverUrl) builder.addServer({ url: options.serverUrl });

  const components = new Map<string, unknown>();
  const paths = new Map<string, Record<string, OperationObject>>();
  for (const doc of routeDocs(options)) {
    const path = doc.path.replace(/:([A-Za-z_]+)/g, '{$1}');
    const item = paths.get(path) ?? {};
    item[doc.method] = operation(doc, components);
    paths.set(path, item);
  }
  for (const [path, item] of paths) builder.addPath(path, item);
  for (const [id, schema] of [...components].sort(([a], [b]) => a.localeCompare(b))) builder.addSchema(id, schema as SchemaObject);
  for (const tag of ['webhooks', 'approvals', 'runs', 'recipes', 'timers', 'operations', ...(options.mock ? ['mock'] : [])]) builder.addTag({ name: tag });
  return builder.getSpec();
}

/**
 * The document as `GET /openapi.json` serves it: built on the first request (it takes about 50 ms,
 * which every start, every scenario and every app in the tests paid) and kept, since it only changes
 * with the code.
 */
export function openapiRoutes(options: { mock: boolean; serverUrl: string }): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  let document: OpenAPIObject | undefined;
  app.get('/openapi.json', (c) => c.json((document ??= buildOpenApiDocument(options))));
  return app;
}

function operation(doc: RouteDoc, components: Map<string, unknown>): OperationObject {
  const parameters: ParameterObject[] = [
    ...Object.entries(doc.params ?? {}).map(([name, description]): ParameterObject => ({ name, in: 'path', required: true, description, schema: { type: 'string' } })),
    ...Object.entries(doc.headers ?? {}).map(([name, description]): ParameterObject => ({ name, in: 'header', required: true, description, schema: { type: 'string' } })),
    ...queryParameters(doc.query, components),
  ];
  const responses: Record<string, ResponseObject> = {};
  for (const [status, r] of Object.entries({ ...(doc.auth && { 401: UNAUTHORIZED }), ...doc.responses })) {
    const content: NonNullable<ResponseObject['content']> = {};
    if (r.html) content['text/html'] = { schema: { type: 'string' } };
    if (r.schema) content['application/json'] = { schema: jsonSchema(r.schema, 'output', components) };
    if (r.contentType) content[r.contentType] = { schema: { type: 'string' } };
    responses[status] = { description: r.description, ...(Object.keys(content).length > 0 && { content }) };
  }
  return {
    operationId: operationId(doc),
    tags: [doc.tag],
    summary: doc.summary,
    ...(doc.description && { description: doc.description }),
    ...(doc.auth && { security: [{ bearer: [] }] }),
    ...(parameters.length > 0 && { parameters }),
    ...(doc.body && {
      requestBody: {
        required: true,
        content: Object.fromEntries((doc.body.contentTypes ?? ['application/json']).map((type) => [type, { schema: jsonSchema(doc.body!.schema, 'input', components) }])),
      },
    }),
    responses,
  };
}

/** Every route behind the API token answers this; its doc need not say so. */
const UNAUTHORIZED: ResponseDoc = { description: 'Missing or wrong bearer token (when PARTNERFLOW_API_TOKEN is set)', schema: ErrorBody };

/** `get /runs/:id/retry` → `postRunsIdRetry`. */
function operationId(doc: RouteDoc): string {
  const words = doc.path.split(/[^A-Za-z0-9]+/).filter(Boolean);
  return doc.method + words.map((w) => w[0]!.toUpperCase() + w.slice(1)).join('');
}

function queryParameters(query: z.ZodObject | undefined, components: Map<string, unknown>): ParameterObject[] {
  if (!query) return [];
  const schema = jsonSchema(query, 'input', components) as SchemaObject;
  const required = new Set(schema.required ?? []);
  return Object.entries(schema.properties ?? {}).map(([name, property]) => {
    const { description, ...rest } = property as SchemaObject;
    return { name, in: 'query', required: required.has(name), ...(description && { description }), schema: rest };
  });
}

/**
 * A zod schema as OpenAPI 3.1 schema (JSON Schema 2020-12, which z.toJSONSchema writes). Schemas with
 * an id (`.meta({ id })`) become shared components: their `$defs` are hoisted and the refs rewritten.
 */
function jsonSchema(schema: z.ZodType, io: 'input' | 'output', components: Map<string, unknown>): SchemaObject {
  const { $schema: _, $defs, ...root } = z.toJSONSchema(schema, { io, unrepresentable: 'any' }) as Record<string, unknown> & { $defs?: Record<string, unknown> };
  for (const [id, def] of Object.entries($defs ?? {})) {
    const rewritten = rewriteRefs(def);
    const existing = components.get(id);
    if (existing !== undefined && JSON.stringify(existing) !== JSON.stringify(rewritten)) {
      throw new Error(`schema ${id} is used both as a request and as a response with different shapes; give them separate ids`);
    }
    components.set(id, rewritten);
  }
  return rewriteRefs(root) as SchemaObject;
}

function rewriteRefs(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(rewriteRefs);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [k, k === '$ref' && typeof v === 'string' ? v.replace(/^#\/\$defs\//, '#/components/schemas/') : rewriteRefs(v)]),
    );
  }
  return value;
}
