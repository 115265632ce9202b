import { create, createFileRegistry, createRegistry, fromJsonString } from '@bufbuild/protobuf';
import {
  DescriptorProtoSchema,
  FieldDescriptorProto_Label as Label,
  FieldDescriptorProto_Type as Type,
  FieldDescriptorProtoSchema,
  FileDescriptorProtoSchema,
  file_google_protobuf_timestamp,
  type FieldDescriptorProto,
} from '@bufbuild/protobuf/wkt';
import { ConsoleService } from '@switchboard/contracts';
import { describeMethod } from './describe-method';

const field = (
  name: string,
  number: number,
  type: Type,
  more: Partial<
    Pick<FieldDescriptorProto, 'label' | 'typeName' | 'oneofIndex' | 'proto3Optional'>
  > = {},
): FieldDescriptorProto =>
  create(FieldDescriptorProtoSchema, {
    name,
    number,
    type,
    label: Label.OPTIONAL,
    jsonName: name.replace(/_(\w)/g, (_, c: string) => c.toUpperCase()),
    ...more,
  });

/**
 * A file with what the workspace's requests happen not to use: a message that
 * contains itself, a map, a oneof, an enum, a well-known type, and comments
 * in SourceCodeInfo (which servers usually strip), a proto3 `optional` field.
 */
const file = create(FileDescriptorProtoSchema, {
  name: 'explorer/test/v1/tree.proto',
  package: 'explorer.test.v1',
  syntax: 'proto3',
  dependency: ['google/protobuf/timestamp.proto'],
  enumType: [
    {
      name: 'Kind',
      value: [
        { name: 'KIND_UNSPECIFIED', number: 0 },
        { name: 'KIND_LEAF', number: 1 },
      ],
    },
  ],
  messageType: [
    create(DescriptorProtoSchema, {
      name: 'Tree',
      field: [
        field('name', 1, Type.STRING),
        field('children', 2, Type.MESSAGE, {
          label: Label.REPEATED,
          typeName: '.explorer.test.v1.Tree',
        }),
        field('weights', 3, Type.MESSAGE, {
          label: Label.REPEATED,
          typeName: '.explorer.test.v1.Tree.WeightsEntry',
        }),
        field('label', 4, Type.STRING, { oneofIndex: 0 }),
        field('number', 5, Type.INT32, { oneofIndex: 0 }),
        field('planted_at', 6, Type.MESSAGE, { typeName: '.google.protobuf.Timestamp' }),
        field('kind', 7, Type.ENUM, { typeName: '.explorer.test.v1.Kind' }),
        field('parent', 8, Type.MESSAGE, { typeName: '.explorer.test.v1.Tree' }),
        field('nickname', 9, Type.STRING, { oneofIndex: 1, proto3Optional: true }),
      ],
      oneofDecl: [{ name: 'tag' }, { name: '_nickname' }],
      nestedType: [
        {
          name: 'WeightsEntry',
          field: [field('key', 1, Type.STRING), field('value', 2, Type.INT64)],
          options: { mapEntry: true },
        },
      ],
    }),
  ],
  service: [
    {
      name: 'Forest',
      method: [
        {
          name: 'Grow',
          inputType: '.explorer.test.v1.Tree',
          outputType: '.explorer.test.v1.Tree',
          serverStreaming: true,
        },
      ],
    },
  ],
  sourceCodeInfo: {
    location: [
      { path: [6, 0, 2, 0], leadingComments: ' Grows a tree, one ring at a time.\n' },
      { path: [4, 0, 2, 2], trailingComments: ' By branch name.\n' },
    ],
  },
});

const registry = createRegistry(
  createFileRegistry(file, (name) =>
    name === file_google_protobuf_timestamp.proto.name ? file_google_protobuf_timestamp : undefined,
  ),
);
const grow = registry.getService('explorer.test.v1.Forest')!.methods[0]!;

describe('describeMethod', () => {
  const described = describeMethod(grow, registry);
  const fieldNamed = (name: string) => described.inputFields.find((f) => f.jsonName === name)!;

  it('names the kind of call and its types, with the comments the descriptor carries', () => {
    expect(described).toMatchObject({
      name: 'Grow',
      inputType: 'explorer.test.v1.Tree',
      outputType: 'explorer.test.v1.Tree',
      clientStreaming: false,
      serverStreaming: true,
      comment: 'Grows a tree, one ring at a time.',
    });
    expect(fieldNamed('weights').comment).toBe('By branch name.');
    expect(fieldNamed('name').comment).toBe('');
  });

  it('describes scalars, enums, maps, lists and well-known types by their JSON names', () => {
    expect(fieldNamed('plantedAt')).toMatchObject({
      type: 'google.protobuf.Timestamp',
      fields: [],
    });
    expect(fieldNamed('kind')).toMatchObject({
      type: 'explorer.test.v1.Kind',
      enumValues: ['KIND_UNSPECIFIED', 'KIND_LEAF'],
    });
    expect(fieldNamed('weights')).toMatchObject({ type: 'int64', map: true, repeated: false });
    expect(fieldNamed('children')).toMatchObject({
      type: 'explorer.test.v1.Tree',
      repeated: true,
      map: false,
    });
  });

  it('does not open a message inside itself', () => {
    // Tree contains Tree: described once, then named only.
    expect(fieldNamed('children').fields).toEqual([]);
    expect(fieldNamed('parent').fields).toEqual([]);
  });

  it('templates every field at its default, one member per oneof, optional fields unset, as JSON the method accepts', () => {
    const template = JSON.parse(described.requestTemplate) as Record<string, unknown>;
    expect(template).toEqual({
      name: '',
      children: [],
      weights: {},
      label: '',
      plantedAt: '1970-01-01T00:00:00Z',
      kind: 'KIND_UNSPECIFIED',
      parent: {},
    });
    expect(() => fromJsonString(grow.input, described.requestTemplate, { registry })).not.toThrow();
  });

  it("opens nested messages of the workspace's contracts", () => {
    const listTraces = describeMethod(ConsoleService.method.listTraces, registry);
    expect(listTraces.inputFields.map((f) => [f.jsonName, f.type])).toEqual([
      ['service', 'string'],
      ['method', 'string'],
      ['status', 'switchboard.console.v1.StatusFilter'],
      ['minDurationMs', 'double'],
      ['traceId', 'string'],
      ['limit', 'int32'],
    ]);
    expect(JSON.parse(listTraces.requestTemplate)).toEqual({
      service: '',
      method: '',
      status: 'STATUS_FILTER_UNSPECIFIED',
      minDurationMs: 0,
      traceId: '',
      limit: 0,
    });
  });
});
