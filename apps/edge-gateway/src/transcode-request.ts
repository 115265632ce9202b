import {
  fromJson,
  ScalarType,
  type DescField,
  type DescMessage,
  type JsonObject,
  type JsonValue,
  type MessageShape,
} from '@bufbuild/protobuf';
import type { RouteMatch } from './http-routes';

/** A request the edge refuses before any service sees it: a 400 with a clear message. */
export class BadRequestError extends Error {
  constructor(
    message: string,
    readonly violations: readonly { field: string; description: string }[] = [],
  ) {
    super(message);
    this.name = 'BadRequestError';
  }
}

export interface HttpRequestParts {
  /** The parsed JSON body; undefined when the request has none. */
  readonly body: JsonValue | undefined;
  readonly query: URLSearchParams;
}

function fieldByName(message: DescMessage, name: string): DescField | undefined {
  // Templates and query parameters name fields as the proto does; the JSON name is accepted too.
  return message.fields.find((f) => f.name === name || f.jsonName === name);
}

/** A path or query value as the JSON mapping wants it for this field. */
function jsonScalar(field: DescField, raw: string, where: string): JsonValue {
  if (field.fieldKind === 'enum' || (field.fieldKind === 'list' && field.listKind === 'enum')) {
    return /^-?\d+$/.test(raw) ? Number(raw) : raw;
  }
  const scalar =
    field.fieldKind === 'scalar'
      ? field.scalar
      : field.fieldKind === 'list' && field.listKind === 'scalar'
        ? field.scalar
        : undefined;
  if (scalar === undefined) {
    throw new BadRequestError(`${where}: ${field.name} is a message and cannot be set from text`, [
      { field: field.name, description: 'not settable from the path or query string' },
    ]);
  }
  if (scalar === ScalarType.BOOL) {
    if (raw === 'true') return true;
    if (raw === 'false') return false;
    throw new BadRequestError(`${where}: ${field.name} must be true or false`, [
      { field: field.name, description: 'must be true or false' },
    ]);
  }
  // Numbers stay text: the JSON mapping accepts quoted numbers and checks their range.
  return raw;
}

/**
 * Sets `value` at a dotted field path inside a JSON object, creating the
 * nested objects on the way; `append` collects repeated query parameters.
 */
function setPath(
  root: JsonObject,
  schema: DescMessage,
  path: string,
  raw: string,
  where: string,
  append: boolean,
): void {
  const names = path.split('.');
  let target = root;
  let message = schema;
  for (let i = 0; i < names.length; i++) {
    const field = fieldByName(message, names[i]!);
    if (field === undefined) {
      throw new BadRequestError(`${where}: unknown field ${JSON.stringify(path)}`, [
        { field: path, description: 'no such field' },
      ]);
    }
    const last = i === names.length - 1;
    if (!last) {
      if (field.fieldKind !== 'message') {
        throw new BadRequestError(`${where}: ${path} does not name a field`, [
          { field: path, description: 'no such field' },
        ]);
      }
      const next = target[field.jsonName];
      target = (
        next !== null && typeof next === 'object' && !Array.isArray(next)
          ? next
          : (target[field.jsonName] = {})
      ) as JsonObject;
      message = field.message;
      continue;
    }
    const value = jsonScalar(field, raw, where);
    if (field.fieldKind === 'list') {
      const list = Array.isArray(target[field.jsonName])
        ? (target[field.jsonName] as JsonValue[])
        : [];
      list.push(value);
      target[field.jsonName] = list;
    } else {
      // The body may have used the proto name; the value then counts once, under the JSON name.
      const existing = target[field.jsonName] ?? target[field.name];
      if (field.name !== field.jsonName) delete target[field.name];
      if (append && existing !== undefined) {
        throw new BadRequestError(`${where}: ${path} given more than once`, [
          { field: path, description: 'not a repeated field' },
        ]);
      }
      if (!append && existing !== undefined && String(existing) !== raw) {
        throw new BadRequestError(`${path} in the body differs from the path`, [
          { field: path, description: 'must equal the value in the path' },
        ]);
      }
      target[field.jsonName] = value;
    }
  }
}

function bodyField(schema: DescMessage, name: string): DescField {
  const field = fieldByName(schema, name);
  if (field === undefined) throw new Error(`body field ${name} missing from ${schema.typeName}`);
  return field;
}

/**
 * Builds the request message of a matched route, per google/api/http.proto:
 * path variables first, then the body (`*`: the whole message; a field name:
 * that field), and, when the body is not `*`, the query string for the
 * remaining fields. Unknown fields, wrong types and bad values are refused
 * with a 400 naming the field, never passed on.
 */
export function transcodeRequest<Desc extends DescMessage>(
  schema: Desc,
  match: RouteMatch,
  parts: HttpRequestParts,
): MessageShape<Desc> {
  const { route, bindings } = match;
  let json: JsonObject = {};
  if (route.body === '*') {
    if (parts.body === undefined) json = {};
    else if (parts.body === null || typeof parts.body !== 'object' || Array.isArray(parts.body)) {
      throw new BadRequestError('the request body must be a JSON object');
    } else json = structuredClone(parts.body);
    // With the whole message in the body nothing is left for the query string.
    for (const key of parts.query.keys()) {
      throw new BadRequestError(`query parameter ${JSON.stringify(key)} is not accepted here`, [
        { field: key, description: 'send it in the body' },
      ]);
    }
  } else if (route.body !== '') {
    if (parts.body !== undefined) json[bodyField(schema, route.body).jsonName] = parts.body;
  }
  if (route.body !== '*') {
    for (const [key, value] of parts.query) {
      if (bindings.has(key)) {
        throw new BadRequestError(`query parameter ${key} is already bound by the path`, [
          { field: key, description: 'bound by the path' },
        ]);
      }
      setPath(json, schema, key, value, 'query string', true);
    }
  }
  for (const [path, value] of bindings) {
    // A body may repeat a path field, but only with the same value.
    setPath(json, schema, path, value, 'path', false);
  }
  try {
    return fromJson(schema, json, { ignoreUnknownFields: false });
  } catch (err) {
    throw new BadRequestError(`invalid request: ${(err as Error).message}`);
  }
}
