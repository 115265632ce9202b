// A hand-made descriptor for the explorer's specs, with what the workspace's
// contracts happen not to use.
import { create, createFileRegistry, createRegistry } from '@bufbuild/protobuf';
import {
  DescriptorProtoSchema,
  FieldDescriptorProto_Label as Label,
  FieldDescriptorProto_Type as Type,
  FieldDescriptorProtoSchema,
  FileDescriptorProtoSchema,
  file_google_protobuf_timestamp,
  type FieldDescriptorProto,
} from '@bufbuild/protobuf/wkt';

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
export const treeFile = create(FileDescriptorProtoSchema, {
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
        {
          name: 'Plant',
          inputType: '.explorer.test.v1.Tree',
          outputType: '.explorer.test.v1.Tree',
          clientStreaming: true,
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

/** The tree file resolved against the well-known Timestamp. */
export const treeRegistry = createRegistry(
  createFileRegistry(treeFile, (name) =>
    name === file_google_protobuf_timestamp.proto.name ? file_google_protobuf_timestamp : undefined,
  ),
);
