import { randomUUID } from 'node:crypto';
import type { INestApplication } from '@nestjs/common';
import { METHOD_METADATA, ROUTE_ARGS_METADATA } from '@nestjs/common/constants';
import { RouteParamtypes } from '@nestjs/common/enums/route-paramtypes.enum';
import { ModulesContainer } from '@nestjs/core';
import { RouteCatalog } from '../../services/gateway/src/openapi/route-catalog';
import { MASTER_KEY, type TestGateway, startTestGateway } from './keys-gateway';

const ERROR_SHAPE = { error: { code: expect.any(String), message: expect.any(String) } };

/** The parts of an OpenAPI operation the document tests read. */
type OpenApiContent = Record<string, { schema?: Record<string, any> }>; // eslint-disable-line @typescript-eslint/no-explicit-any
interface OpenApiOperation {
  operationId: string;
  parameters?: { name: string; in: string }[];
  requestBody?: { content: OpenApiContent };
  responses: Record<string, { content?: OpenApiContent; headers?: Record<string, unknown> }>;
}
const hasSchemas = (content: OpenApiContent | undefined) => content !== undefined && Object.keys(content).length > 0 && Object.values(content).every((c) => c.schema !== undefined);

/** What an operation's documentation lacks: a success answer, a schema for each success body (a 204 has none), the schema of the body it reads. */
function documentationProblems(route: string, op: OpenApiOperation | undefined, readsBody: boolean): string[] {
  if (!op) return [`${route}: missing`];
  const successes = Object.entries(op.responses).filter(([status]) => /^2\d\d$/.test(status));
  return [
    ...(successes.length === 0 ? [`${route}: no success answer`] : []),
    ...successes.filter(([status, response]) => status !== '204' && !hasSchemas(response.content)).map(([status]) => `${route}: ${status} without a schema`),
    ...(readsBody && !hasSchemas(op.requestBody?.content) ? [`${route}: request body without a schema`] : []),
  ];
}

/** The operationId (`Controller_method`, as @nestjs/swagger names them) of every HTTP route with a @Body() parameter. */
function operationsReadingBody(app: INestApplication): string[] {
  const controllers = [...app.get(ModulesContainer).values()].flatMap((module) => [...module.controllers.values()].map((wrapper) => wrapper.metatype));
  return controllers.flatMap((controller) => {
    if (typeof controller !== 'function') return [];
    const routes = Object.getOwnPropertyNames(controller.prototype).filter((name) => Reflect.hasMetadata(METHOD_METADATA, controller.prototype[name]));
    const readsBody = (name: string) =>
      Object.keys(Reflect.getMetadata(ROUTE_ARGS_METADATA, controller, name) ?? {}).some((key) => key.split(':')[0] === String(RouteParamtypes.BODY));
    return routes.filter(readsBody).map((name) => `${controller.name}_${name}`);
  });
}

/** No error body may carry a stack trace or a source path. */
function expectNoStack(text: string): void {
  expect(text).not.toMatch(/\bat .+\.(ts|js):\d+|node_modules|Error: /);
}

describe('gateway API keys, roles, scopes, audit and hardening (in-process gateway)', () => {
  let gw: TestGateway;

  beforeAll(async () => {
    gw = await startTestGateway({ RATE_LIMIT_PER_KEY_PER_MINUTE: '100000', RATE_LIMIT_PER_IP_PER_MINUTE: '100000' });
  }, 60_000);
  afterAll(() => gw?.handle.close());

  const createKey = async (body: Record<string, unknown>) => {
    const { status, body: created } = await gw.call('POST', '/api/keys', { key: MASTER_KEY, body });
    expect(status, JSON.stringify(created)).toBe(201);
    return created as { id: string; key: string; prefix: string; role: string };
  };

  it('creates a key shown once, lists keys without hash or key, and audits both', async () => {
    const created = await createKey({ name: 'ci', role: 'operator' });
    expect(created.key).toMatch(/^pb_[A-Za-z0-9_-]{43}$/);
    expect(created.prefix).toBe(created.key.slice(0, 8));

    const list = await gw.call('GET', '/api/keys', { key: MASTER_KEY });
    expect(list.status).toBe(200);
    expect(list.text).not.toContain(created.key);
    expect(list.text).not.toMatch(/"hash"|"key"/);
    expect(list.body.items.map((k: { role: string }) => k.role)).toEqual(expect.arrayContaining(['admin', 'operator']));

    const audit = await gw.call('GET', '/api/audit?action=key.created', { key: MASTER_KEY });
    expect(audit.status).toBe(200);
    expect(audit.body.items[0]).toMatchObject({ action: 'key.created', target: created.id, actorName: 'master key (API_MASTER_KEY)', ip: expect.any(String) });
  });

  it('accepts the key as X-API-Key and as Authorization: Bearer', async () => {
    expect((await gw.call('GET', '/api/keys', { headers: { 'x-api-key': MASTER_KEY } })).status).toBe(200);
    expect((await gw.call('GET', '/api/keys', { headers: { authorization: `Bearer ${MASTER_KEY}` } })).status).toBe(200);
  });

  it('refuses a key in the query string with 400 API_KEY_IN_QUERY', async () => {
    for (const name of ['apiKey', 'api_key', 'key']) {
      const { status, body } = await gw.call('GET', `/api/keys?${name}=${MASTER_KEY}`);
      expect(status).toBe(400);
      expect(body).toEqual({ error: { code: 'API_KEY_IN_QUERY', message: expect.stringContaining('header') } });
    }
  });

  it('401 without a key, with an unknown, an expired and a revoked key', async () => {
    const expiring = await createKey({ name: 'short', role: 'admin', expiresAt: new Date(Date.now() + 1_500).toISOString() });
    const revoked = await createKey({ name: 'gone', role: 'viewer' });
    expect((await gw.call('DELETE', `/api/keys/${revoked.id}`, { key: MASTER_KEY })).status).toBe(200);
    await new Promise((r) => setTimeout(r, 1_600));
    for (const key of [undefined, 'pb_unknown', expiring.key, revoked.key]) {
      const { status, body } = await gw.call('GET', '/api/audit', { key });
      expect(status).toBe(401);
      expect(body).toEqual({ error: { code: 'UNAUTHORIZED', message: expect.any(String) } });
    }
  });

  it('a viewer gets 403 on every non-GET route under /api', async () => {
    const viewer = await createKey({ name: 'viewer', role: 'viewer' });
    const routes = gw.handle.app.get(RouteCatalog).routes().filter((r) => r.url.startsWith('/api/') && !['GET', 'HEAD', 'OPTIONS'].includes(r.method));
    expect(routes.length).toBeGreaterThan(0);
    for (const route of routes) {
      const path = route.url.replace(/:[A-Za-z]+/g, randomUUID());
      const { status, body } = await gw.call(route.method, path, { key: viewer.key, body: {} });
      expect({ route, status, code: body?.error?.code }).toEqual({ route, status: 403, code: 'FORBIDDEN' });
    }
    expect((await gw.call('GET', '/api/sessions', { key: viewer.key })).status).not.toBe(403);
  });

  it('an operator gets 403 on /api/infra/* and /api/keys', async () => {
    const operator = await createKey({ name: 'op', role: 'operator' });
    for (const [method, path] of [
      ['GET', '/api/infra/status'],
      ['GET', '/api/keys'],
      ['POST', '/api/keys'],
      ['DELETE', `/api/keys/${randomUUID()}`],
      ['GET', '/api/audit'],
    ] as const) {
      const { status, body } = await gw.call(method, path, { key: operator.key, body: method === 'POST' ? { name: 'x', role: 'admin' } : undefined });
      expect({ path, status, body }).toEqual({ path, status: 403, body: { error: { code: 'FORBIDDEN', message: expect.any(String), details: expect.anything() } } });
    }
  });

  it('a key scoped to session A gets 403 on session B, not on A', async () => {
    const [a, b] = [randomUUID(), randomUUID()];
    const scoped = await createKey({ name: 'scoped', role: 'operator', sessionIds: [a] });
    const onB = await gw.call('GET', `/api/sessions/${b}`, { key: scoped.key });
    expect(onB).toMatchObject({ status: 403, body: { error: { code: 'FORBIDDEN' } } });
    const onA = await gw.call('GET', `/api/sessions/${a}`, { key: scoped.key });
    expect(onA.status).not.toBe(403);
    expect(onA.status).not.toBe(401);
  });

  it('a key limited to other IP ranges gets 403; one allowing 127.0.0.1 (or ::1) works', async () => {
    const elsewhere = await createKey({ name: 'far', role: 'admin', ipRanges: ['10.0.0.0/8', '2001:db8::/32'] });
    expect((await gw.call('GET', '/api/keys', { key: elsewhere.key })).status).toBe(403);
    const local = await createKey({ name: 'near', role: 'admin', ipRanges: ['127.0.0.0/8', '::1/128'] });
    expect((await gw.call('GET', '/api/keys', { key: local.key })).status).toBe(200);
  });

  it('the last active admin key cannot be revoked (409), others can', async () => {
    const list = await gw.call('GET', '/api/keys', { key: MASTER_KEY });
    const admins = (list.body.items as { id: string; role: string; active: boolean; name: string }[]).filter((k) => k.role === 'admin' && k.active);
    const master = admins.find((k) => k.name.startsWith('master key'));
    expect(master).toBeDefined();
    for (const other of admins.filter((k) => k !== master)) {
      expect((await gw.call('DELETE', `/api/keys/${other.id}`, { key: MASTER_KEY })).status).toBe(200);
    }
    const last = await gw.call('DELETE', `/api/keys/${master?.id}`, { key: MASTER_KEY });
    expect(last).toMatchObject({ status: 409, body: { error: { code: 'CONFLICT' } } });
    expect((await gw.call('DELETE', `/api/keys/${randomUUID()}`, { key: MASTER_KEY })).status).toBe(404);
  });

  it('refuses bad input with 400/413, a code and no stack trace', async () => {
    const cases: [string, { body?: unknown; headers?: Record<string, string> }, number][] = [
      ['malformed JSON', { body: '{"name": "x",' }, 400],
      ['unknown field', { body: { name: 'x', role: 'viewer', admin: true } }, 400],
      ['wrong type', { body: { name: 42, role: 'viewer' } }, 400],
      ['bad role', { body: { name: 'x', role: 'root' } }, 400],
      ['bad CIDR', { body: { name: 'x', role: 'viewer', ipRanges: ['10.0.0.0/33'] } }, 400],
      ['NUL in a string', { body: '{"name":"a\\u0000b","role":"viewer"}' }, 400],
      ['oversized body', { body: JSON.stringify({ name: 'x', role: 'viewer', pad: 'x'.repeat(1_100_000) }) }, 413],
    ];
    for (const [what, options, status] of cases) {
      const response = await gw.call('POST', '/api/keys', { key: MASTER_KEY, ...options });
      expect({ what, status: response.status }).toEqual({ what, status });
      expect(response.body).toMatchObject(ERROR_SHAPE);
      expect(response.body.error.code).toBe(status === 413 ? 'PAYLOAD_TOO_LARGE' : 'VALIDATION_FAILED');
      expectNoStack(response.text);
    }
    const unknown = await gw.call('POST', '/api/keys', { key: MASTER_KEY, body: { name: 'x', role: 'viewer', admin: true } });
    expect(unknown.body.error.details.issues).toEqual([expect.objectContaining({ code: 'unrecognized_keys' })]);

    const nulPath = await gw.call('DELETE', '/api/keys/abc%00def', { key: MASTER_KEY });
    expect(nulPath).toMatchObject({ status: 400, body: { error: { code: 'VALIDATION_FAILED' } } });
    const badId = await gw.call('DELETE', '/api/keys/not-a-uuid', { key: MASTER_KEY });
    expect(badId).toMatchObject({ status: 400, body: { error: { code: 'VALIDATION_FAILED' } } });
  });

  it('serves an OpenAPI document listing every route, with the error shape and both security schemes', async () => {
    const { status, body: doc } = await gw.call('GET', '/api/docs-json');
    expect(status).toBe(200);
    expect(doc.components.schemas.Error).toMatchObject({ type: 'object', properties: { error: expect.any(Object) }, required: ['error'] });
    expect(doc.components.securitySchemes).toMatchObject({ ApiKey: { type: 'apiKey', in: 'header', name: 'X-API-Key' }, bearer: { type: 'http', scheme: 'bearer' } });

    const routes = gw.handle.app.get(RouteCatalog).routes().filter((r) => !/^\/(health|api\/docs)/.test(r.url) && r.method !== 'HEAD');
    const missing = routes
      .filter((r) => !doc.paths[r.url.replace(/:([A-Za-z0-9_]+)/g, '{$1}')]?.[r.method.toLowerCase()])
      .map((r) => `${r.method} ${r.url}`);
    expect(missing).toEqual([]);
    expect(doc.paths['/api/keys'].post.requestBody.content['application/json'].schema).toMatchObject({ additionalProperties: false, required: ['name', 'role'] });
    expect(doc.paths['/api/keys'].post.responses.default.content['application/json'].schema).toEqual({ $ref: '#/components/schemas/Error' });
    // Rate limits: the headers of every counted answer and the 429, documented once and referred to.
    expect(doc.components.headers['x-ratelimit-remaining']).toMatchObject({ schema: { type: 'integer' } });
    expect(doc.paths['/api/keys'].post.responses['201'].headers['x-ratelimit-limit']).toEqual({ $ref: '#/components/headers/x-ratelimit-limit' });
    expect(doc.paths['/api/keys'].post.responses['429'].headers['retry-after']).toEqual({ $ref: '#/components/headers/retry-after' });
    expect(doc.paths['/health'].get.responses['429']).toBeUndefined();

    const ui = await gw.call('GET', '/api/docs');
    expect(ui.status).toBe(200);
    expect(ui.text).toContain('swagger');
  });

  it('documents the webhook, media and health routes with typed bodies and answers', async () => {
    const { body: doc } = await gw.call('GET', '/api/docs-json');
    const operation = (method: string, path: string) => doc.paths[path]?.[method.toLowerCase()] as OpenApiOperation | undefined;
    const withBody = ['POST /api/sessions/{id}/webhooks', 'PUT /api/webhooks/{id}', 'POST /api/media'];
    const documented = [
      ...withBody,
      'GET /api/sessions/{id}/webhooks',
      'GET /api/webhooks/{id}',
      'DELETE /api/webhooks/{id}',
      'POST /api/webhooks/{id}/test',
      'GET /api/webhooks/{id}/deliveries',
      'POST /api/webhooks/{id}/deliveries/{deliveryId}/redeliver',
      'GET /api/media',
      'GET /api/media/{id}',
      'DELETE /api/media/{id}',
      'GET /api/infra/status',
      'GET /health',
    ];
    // Every success answer but a 204 has a body schema; every route that reads a body documents it.
    const problems = documented.flatMap((route) => {
      const [method, path] = route.split(' ');
      return documentationProblems(route, operation(method, path), withBody.includes(route));
    });
    expect(problems).toEqual([]);

    const json = (op: OpenApiOperation | undefined, status: string) => op?.responses[status]?.content?.['application/json']?.schema;
    // The secret only in the create answer; custom header values never, only their names.
    const created = json(operation('POST', '/api/sessions/{id}/webhooks'), '201');
    expect(created).toMatchObject({ required: expect.arrayContaining(['secret']), properties: { headers: { type: 'array', items: { type: 'string' } } } });
    expect(json(operation('GET', '/api/webhooks/{id}'), '200')?.properties).not.toHaveProperty('secret');
    expect(operation('PUT', '/api/webhooks/{id}')?.requestBody?.content['application/json'].schema).toMatchObject({ additionalProperties: false });
    expect(operation('GET', '/api/webhooks/{id}/deliveries')?.parameters?.map((p) => p.name)).toEqual(expect.arrayContaining(['status', 'limit', 'cursor']));

    const binary = { type: 'string', format: 'binary' };
    const upload = operation('POST', '/api/media');
    expect(upload?.requestBody?.content['*/*'].schema).toEqual(binary);
    expect(upload?.requestBody?.content['multipart/form-data'].schema).toMatchObject({ type: 'object', properties: { file: binary } });
    expect(json(upload, '201')).toMatchObject({ required: ['id', 'size', 'sha256', 'mimeType'] });
    const download = operation('GET', '/api/media/{id}');
    expect(download?.parameters).toEqual(expect.arrayContaining([expect.objectContaining({ in: 'path', name: 'id' }), expect.objectContaining({ in: 'header', name: 'Range' })]));
    expect(download?.responses['200'].content?.['*/*'].schema).toEqual(binary);
    expect(download?.responses['206'].headers).toHaveProperty('content-range');
    expect(download?.responses['416']).toMatchObject({ headers: { 'content-range': expect.any(Object) }, content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } });
    expect(json(operation('GET', '/health'), '503')).toEqual(json(operation('GET', '/health'), '200'));
  });

  it('documents every operation: a success answer, the schema of each answer body, and of every JSON body a route reads', async () => {
    const { body: doc } = await gw.call('GET', '/api/docs-json');
    const operations = Object.entries(doc.paths as Record<string, Record<string, OpenApiOperation>>).flatMap(([path, methods]) =>
      Object.entries(methods).map(([method, op]) => ({ route: `${method.toUpperCase()} ${path}`, op })),
    );
    // service-kit's probes and metrics are in the document too, and walked like the rest.
    expect(operations.map((o) => o.route)).toEqual(expect.arrayContaining(['GET /api/events', 'GET /health/live', 'GET /health/ready', 'GET /metrics']));

    // No exemptions: a streamed or binary answer documents its media type with a string schema.
    const bodyReaders = operationsReadingBody(gw.handle.app);
    expect(bodyReaders).toEqual(expect.arrayContaining(['SessionsController_create', 'SessionsController_inbound', 'KeysController_create']));
    const operationIds = new Set(operations.map((o) => o.op.operationId));
    expect(bodyReaders.filter((id) => !operationIds.has(id))).toEqual([]);
    expect(operations.flatMap(({ route, op }) => documentationProblems(route, op, bodyReaders.includes(op.operationId)))).toEqual([]);

    const responses = (route: string) => operations.find((o) => o.route === route)?.op.responses ?? {};
    const binary = { type: 'string', format: 'binary' };
    expect(responses('GET /api/sessions/{id}/qr')['200']).toMatchObject({
      headers: { 'x-qr-expires-at': expect.any(Object) },
      content: { 'application/json': { schema: { required: ['qr', 'expiresAt'] } }, 'image/png': { schema: binary } },
    });
    expect(responses('GET /api/infra/export-data')['200']).toMatchObject({ headers: { 'x-job-id': expect.any(Object) }, content: { 'application/gzip': { schema: binary } } });
    const exportData = operations.find((o) => o.route === 'GET /api/infra/export-data')?.op;
    expect(exportData?.parameters).toEqual(expect.arrayContaining([expect.objectContaining({ in: 'header', name: 'x-export-passphrase' })]));
    expect(responses('GET /api/events')['200'].content).toEqual({ 'text/event-stream': { schema: { type: 'string' } } });
    expect(responses('GET /health/ready')['503'].content?.['application/json'].schema).toMatchObject({ required: ['ready', 'sockets'] });
  });
});
