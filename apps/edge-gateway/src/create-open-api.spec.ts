import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { createOpenApi } from './create-open-api';
import { exposedServices } from './exposed-services';
import { createRouteTable } from './http-routes';

const run = promisify(execFile);

/**
 * The registry validator is an ES module, which jest's CommonJS runtime cannot
 * load; it runs in a plain node process instead, as a user of it would.
 */
async function validate(document: unknown): Promise<{ valid: boolean; errors?: unknown }> {
  const dir = mkdtempSync(join(tmpdir(), 'edge-openapi-'));
  try {
    const file = join(dir, 'openapi.json');
    writeFileSync(file, JSON.stringify(document));
    const script = [
      "import { Validator } from '@seriousme/openapi-schema-validator';",
      'const result = await new Validator().validate(process.argv[1]);',
      'process.stdout.write(JSON.stringify(result));',
    ].join('\n');
    const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script, file], {
      cwd: resolve(__dirname, '../../..'),
    });
    return JSON.parse(stdout) as { valid: boolean; errors?: unknown };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('the OpenAPI document', () => {
  const services = exposedServices();
  const document = createOpenApi(services) as {
    openapi: string;
    paths: Record<string, Record<string, { security?: unknown }>>;
  };

  it('is valid OpenAPI 3.1 by a validator from the registry', async () => {
    expect(document.openapi).toBe('3.1.0');
    const result = await validate(document);
    expect(result).toEqual({ valid: true });
  });

  it('the validator does refuse a broken document (so the check above can fail)', async () => {
    const broken = { ...document, paths: { '/x': { get: { responses: 'none' } } } };
    expect((await validate(broken)).valid).toBe(false);
  });

  it('lists exactly the routes the edge serves', () => {
    const routes = createRouteTable(services.flatMap((s) => s.methods)).routes;
    const served = routes.map((r) => `${r.httpMethod} ${r.template.source}`).sort();
    const documented = Object.entries(document.paths)
      .flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`))
      .sort();
    expect(documented).toEqual(served);
    expect(served).toContain('POST /v1/orders/{order_id}:cancel');
  });

  it('marks the methods that need a token, and not the public ones', () => {
    expect(document.paths['/v1/auth:login']?.post?.security).toBeUndefined();
    expect(document.paths['/v1/orders']?.post?.security).toEqual([{ bearer: [] }]);
  });
});
