import type { DescEnum, DescField, DescMessage } from '@bufbuild/protobuf';
import { ScalarType } from '@bufbuild/protobuf';
import type { ExposedService } from './exposed-services';
import { routesOf, type HttpRoute } from './http-routes';

type Schema = Record<string, unknown>;

const INT32 = new Set([
  ScalarType.INT32,
  ScalarType.UINT32,
  ScalarType.SINT32,
  ScalarType.FIXED32,
  ScalarType.SFIXED32,
]);

/** JSON Schema of a scalar as protobuf's JSON mapping writes it (64-bit integers are strings). */
function scalarSchema(scalar: ScalarType): Schema {
  if (scalar === ScalarType.STRING) return { type: 'string' };
  if (scalar === ScalarType.BOOL) return { type: 'boolean' };
  if (scalar === ScalarType.BYTES) return { type: 'string', contentEncoding: 'base64' };
  if (scalar === ScalarType.FLOAT || scalar === ScalarType.DOUBLE) return { type: 'number' };
  if (INT32.has(scalar)) return { type: 'integer', format: 'int32' };
  return { type: 'string', format: 'int64', pattern: '^-?[0-9]+$' };
}

/**
 * The OpenAPI 3.1 document of the REST routes, made from the same descriptors
 * and the same route table the edge serves, so the two cannot disagree.
 */
export function createOpenApi(services: readonly ExposedService[]): Schema {
  const schemas: Record<string, Schema> = {
    Error: {
      type: 'object',
      required: ['code', 'status', 'message'],
      properties: {
        code: { type: 'string', description: 'the stable error code, e.g. ORDER_NOT_FOUND' },
        status: { type: 'string', description: 'the gRPC status name, e.g. NOT_FOUND' },
        message: { type: 'string' },
        details: {
          type: 'object',
          description: "the error's details (google.rpc.ErrorInfo metadata)",
          additionalProperties: { type: 'string' },
        },
        violations: {
          type: 'array',
          items: {
            type: 'object',
            properties: { field: { type: 'string' }, description: { type: 'string' } },
          },
        },
        preconditions: {
          type: 'array',
          description:
            'what must change before a retry can succeed (google.rpc.PreconditionFailure)',
          items: {
            type: 'object',
            properties: {
              type: { type: 'string' },
              subject: { type: 'string' },
              description: { type: 'string' },
            },
          },
        },
      },
    },
  };

  const refOf = (message: DescMessage): Schema => {
    if (message.typeName === 'google.protobuf.Timestamp') {
      return { type: 'string', format: 'date-time' };
    }
    if (schemas[message.typeName] === undefined) {
      schemas[message.typeName] = {}; // placeholder first: messages may refer to themselves
      const properties: Record<string, Schema> = {};
      for (const field of message.fields) properties[field.jsonName] = fieldSchema(field);
      schemas[message.typeName] = { type: 'object', properties, additionalProperties: false };
    }
    return { $ref: `#/components/schemas/${message.typeName}` };
  };
  const enumSchema = (e: DescEnum): Schema => ({
    type: 'string',
    enum: e.values.map((v) => v.name),
  });
  const fieldSchema = (field: DescField): Schema => {
    switch (field.fieldKind) {
      case 'scalar':
        return scalarSchema(field.scalar);
      case 'enum':
        return enumSchema(field.enum);
      case 'message':
        return refOf(field.message);
      case 'list':
        return {
          type: 'array',
          items:
            field.listKind === 'scalar'
              ? scalarSchema(field.scalar)
              : field.listKind === 'enum'
                ? enumSchema(field.enum)
                : refOf(field.message),
        };
      case 'map':
        return {
          type: 'object',
          additionalProperties:
            field.mapKind === 'scalar'
              ? scalarSchema(field.scalar)
              : field.mapKind === 'enum'
                ? enumSchema(field.enum)
                : refOf(field.message),
        };
    }
  };

  const paths: Record<string, Record<string, unknown>> = {};
  const operationIds = new Set<string>();
  for (const service of services) {
    for (const method of service.methods) {
      routesOf(method).forEach((route, i) => {
        const path = openApiPath(route);
        const bound = new Set(route.template.variables.map((v) => v.fieldPath.join('.')));
        const parameters: Schema[] = route.template.variables.map((v) => ({
          name: v.fieldPath.join('.'),
          in: 'path',
          required: true,
          schema: { type: 'string' },
        }));
        if (route.body === '') {
          for (const field of method.input.fields) {
            if (bound.has(field.name) || field.fieldKind === 'message' || field.fieldKind === 'map')
              continue;
            if (field.fieldKind === 'list' && field.listKind === 'message') continue;
            parameters.push({ name: field.name, in: 'query', schema: fieldSchema(field) });
          }
        }
        let operationId = `${method.parent.name}_${method.name}${i === 0 ? '' : `_${i}`}`;
        while (operationIds.has(operationId)) operationId += '_';
        operationIds.add(operationId);
        const streaming = method.methodKind === 'server_streaming';
        const operation: Record<string, unknown> = {
          operationId,
          tags: [method.parent.name],
          summary: `${method.parent.typeName}/${method.name}`,
          ...(parameters.length > 0 ? { parameters } : {}),
          ...(route.body === ''
            ? {}
            : {
                requestBody: {
                  required: true,
                  content: {
                    'application/json': {
                      schema:
                        route.body === '*'
                          ? refOf(method.input)
                          : fieldSchema(method.input.fields.find((f) => f.name === route.body)!),
                    },
                  },
                },
              }),
          responses: {
            '200': streaming
              ? {
                  description: 'Server-Sent Events: one `data:` line of JSON per message',
                  content: {
                    'text/event-stream': { schema: { type: 'string' } },
                  },
                }
              : {
                  description: 'OK',
                  content: { 'application/json': { schema: refOf(method.output) } },
                },
            default: {
              description: 'An error: the status maps from the gRPC code',
              content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
            },
          },
          ...(service.accessOf(method) === 'public' ? {} : { security: [{ bearer: [] }] }),
        };
        (paths[path] ??= {})[route.httpMethod.toLowerCase()] = operation;
      });
    }
  }

  return {
    openapi: '3.1.0',
    info: {
      title: 'Switchboard public API',
      version: '1.0.0',
      description:
        'The REST routes of the edge gateway, from the google.api.http annotations of the protos.',
    },
    paths,
    components: {
      schemas,
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } },
    },
  };
}

/** `/v1/orders/{order_id}:cancel` stays as it is; `{name=shelves/*}` becomes `{name}`. */
function openApiPath(route: HttpRoute): string {
  return route.template.source.replace(/\{([\w.]+)=[^}]*\}/g, '{$1}');
}
