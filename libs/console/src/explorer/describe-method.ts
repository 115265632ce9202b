import {
  create,
  fromJson,
  ScalarType,
  toJson,
  type DescField,
  type DescMessage,
  type DescMethod,
  type JsonValue,
  type Registry,
} from '@bufbuild/protobuf';
import {
  ExplorerFieldSchema,
  ExplorerMethodSchema,
  type ExplorerField,
  type ExplorerMethod,
} from '@switchboard/contracts';
import { commentOf } from './comment-of';

/** How deep nested message fields are described and templated: enough for requests, safe from recursion. */
const MAX_DEPTH = 3;

/** Well-known types have JSON forms of their own (a Timestamp is a string): shown by name, not opened. */
const isWellKnown = (message: DescMessage) => message.typeName.startsWith('google.protobuf.');

const METHOD_KINDS = {
  unary: [false, false],
  server_streaming: [false, true],
  client_streaming: [true, false],
  bidi_streaming: [true, true],
} as const;

/** A field's value type, whatever holds it (singular, list or map). */
function valueOf(field: DescField): {
  scalar?: ScalarType;
  enum?: DescField['enum'];
  message?: DescMessage;
} {
  switch (field.fieldKind) {
    case 'scalar':
      return { scalar: field.scalar };
    case 'enum':
      return { enum: field.enum };
    case 'message':
      return { message: field.message };
    case 'list':
      return field.listKind === 'scalar'
        ? { scalar: field.scalar }
        : field.listKind === 'enum'
          ? { enum: field.enum }
          : { message: field.message };
    case 'map':
      return field.mapKind === 'scalar'
        ? { scalar: field.scalar }
        : field.mapKind === 'enum'
          ? { enum: field.enum }
          : { message: field.message };
  }
}

function describeFields(
  message: DescMessage,
  depth: number,
  path: readonly string[],
): ExplorerField[] {
  return message.fields.map((field) => {
    const value = valueOf(field);
    const type =
      value.scalar !== undefined
        ? ScalarType[value.scalar].toLowerCase()
        : (value.enum?.typeName ?? value.message?.typeName ?? '');
    const nested = value.message;
    const opens =
      nested !== undefined &&
      !isWellKnown(nested) &&
      depth < MAX_DEPTH &&
      !path.includes(nested.typeName);
    return create(ExplorerFieldSchema, {
      jsonName: field.jsonName,
      type,
      repeated: field.fieldKind === 'list',
      map: field.fieldKind === 'map',
      comment: commentOf(field),
      fields: opens ? describeFields(nested, depth + 1, [...path, nested.typeName]) : [],
      enumValues: value.enum?.values.map((v) => v.name) ?? [],
    });
  });
}

function scalarDefault(scalar: ScalarType): JsonValue {
  switch (scalar) {
    case ScalarType.STRING:
    case ScalarType.BYTES:
      return '';
    case ScalarType.BOOL:
      return false;
    // 64-bit integers are strings in proto3 JSON.
    case ScalarType.INT64:
    case ScalarType.UINT64:
    case ScalarType.SINT64:
    case ScalarType.FIXED64:
    case ScalarType.SFIXED64:
      return '0';
    default:
      return 0;
  }
}

function messageDefault(
  message: DescMessage,
  depth: number,
  path: readonly string[],
  registry: Registry,
): JsonValue {
  if (isWellKnown(message)) {
    try {
      return toJson(message, create(message), { registry });
    } catch {
      return null; // e.g. an empty Any has no JSON form: left unset
    }
  }
  if (depth >= MAX_DEPTH || path.includes(message.typeName)) return {};
  const template: Record<string, JsonValue> = {};
  for (const member of message.members) {
    // One member per oneof: setting two of them is an error.
    const field = member.kind === 'oneof' ? member.fields[0] : member;
    // Unset is a proto3 `optional` field's default, and setting it says "change this".
    if (field === undefined || field.proto.proto3Optional) continue;
    const value = fieldDefault(field, depth, [...path, message.typeName], registry);
    if (value !== null) template[field.jsonName] = value;
  }
  return template;
}

function fieldDefault(
  field: DescField,
  depth: number,
  path: readonly string[],
  registry: Registry,
): JsonValue {
  if (field.fieldKind === 'list') return [];
  if (field.fieldKind === 'map') return {};
  const value = valueOf(field);
  if (value.scalar !== undefined) return scalarDefault(value.scalar);
  if (value.enum !== undefined) return value.enum.values[0]?.name ?? 0;
  return messageDefault(value.message!, depth + 1, path, registry);
}

/**
 * A request to start editing from: every field at its default, nested
 * messages opened a few levels deep (to show what to fill in), lists and maps
 * empty, one member of each oneof, proto3 `optional` fields left out. It must
 * parse as the method's input; if a default somehow does not, `{}` does.
 */
function requestTemplate(input: DescMessage, registry: Registry): string {
  const template = messageDefault(input, 0, [], registry);
  try {
    fromJson(input, template, { registry });
    return JSON.stringify(template, null, 2);
  } catch {
    return '{}';
  }
}

/** A method as the explorer's page shows it: kind, input fields and a request to edit. */
export function describeMethod(method: DescMethod, registry: Registry): ExplorerMethod {
  const [clientStreaming, serverStreaming] = METHOD_KINDS[method.methodKind];
  return create(ExplorerMethodSchema, {
    name: method.name,
    inputType: method.input.typeName,
    outputType: method.output.typeName,
    clientStreaming,
    serverStreaming,
    inputFields: describeFields(method.input, 0, [method.input.typeName]),
    requestTemplate: requestTemplate(method.input, registry),
    comment: commentOf(method),
  });
}
