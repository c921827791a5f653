import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeAccess } from '../../api/route-registry.ts';
import { startApiHarness, type ApiHarness } from './api-harness.ts';

/** The OpenAPI document served at /api/openapi.json describes every route of the table. */
describe('OpenAPI document', () => {
  let h: ApiHarness;
  let doc: { openapi: string; paths: Record<string, Record<string, Record<string, unknown>>>; components: { schemas: Record<string, unknown>; securitySchemes: Record<string, unknown> } };
  beforeAll(async () => {
    h = await startApiHarness();
    const res = await h.fetch('/api/openapi.json');
    expect(res.status).toBe(200);
    doc = (await res.json()) as typeof doc;
  });
  afterAll(async () => h?.close());

  it('is OpenAPI 3.1 with the two ways to authenticate and the Problem schema', () => {
    expect(doc.openapi).toBe('3.1.0');
    expect(Object.keys(doc.components.securitySchemes).sort()).toEqual(['bearerAuth', 'cookieAuth']);
    expect(doc.components.schemas.Problem).toBeDefined();
  });

  it('lists every route of the table, and nothing else', () => {
    const inDoc = Object.entries(doc.paths).flatMap(([p, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${p}`)).sort();
    const inTable = h.api.routes.map((r) => `${r.route.method.toUpperCase()} ${r.route.path}`).sort();
    expect(inDoc).toEqual(inTable);
    expect(inTable.length).toBeGreaterThanOrEqual(16);
  });

  it('gives each operation its access rule, security and problem answers', () => {
    for (const r of h.api.routes) {
      const op = doc.paths[r.route.path]![r.route.method]!;
      const name = `${r.route.method} ${r.route.path}`;
      expect(op['x-vigil-access'], name).toEqual(describeAccess(r.access));
      const responses = op.responses as Record<string, { content?: Record<string, unknown> }>;
      expect(responses['500']?.content?.['application/problem+json'], name).toBeDefined();
      if (r.access.public) {
        expect(op.security, name).toEqual([]);
      } else {
        expect(op.security, name).toEqual([{ cookieAuth: [] }, { bearerAuth: [] }]);
        expect(responses['401']?.content?.['application/problem+json'], name).toBeDefined();
        expect(responses['403']?.content?.['application/problem+json'], name).toBeDefined();
      }
      if (!r.access.public && r.access.site.from !== 'none') expect(responses['404'], name).toBeDefined();
      for (const [status, res] of Object.entries(responses)) if (Number(status) >= 400) expect(res.content?.['application/problem+json'], `${name} ${status}`).toBeDefined();
    }
  });

  it('documents the timeline parameters as ISO 8601 date-times', () => {
    const params = doc.paths['/api/v1/cameras/{id}/timeline']!.get!.parameters as { name: string; in: string; required: boolean; schema: { format?: string } }[];
    expect(params.map((p) => [p.name, p.in, p.required, p.schema.format ?? null])).toEqual([
      ['id', 'path', true, null],
      ['start', 'query', true, 'date-time'],
      ['end', 'query', true, 'date-time'],
      ['includeExpired', 'query', false, null],
    ]);
  });
});
