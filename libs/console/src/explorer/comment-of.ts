import type { DescField, DescMessage, DescMethod, DescService } from '@bufbuild/protobuf';

// Field numbers in descriptor.proto, the steps of a SourceCodeInfo path.
const FILE_MESSAGE_TYPE = 4;
const FILE_SERVICE = 6;
const MESSAGE_FIELD = 2;
const MESSAGE_NESTED_TYPE = 3;
const SERVICE_METHOD = 2;

function messagePath(message: DescMessage): number[] {
  const parent = message.parent;
  if (parent === undefined) {
    return [FILE_MESSAGE_TYPE, message.file.proto.messageType.indexOf(message.proto)];
  }
  return [
    ...messagePath(parent),
    MESSAGE_NESTED_TYPE,
    parent.proto.nestedType.indexOf(message.proto),
  ];
}

function servicePath(service: DescService): number[] {
  return [FILE_SERVICE, service.file.proto.service.indexOf(service.proto)];
}

/**
 * The comment the .proto wrote above a method or field: read from the file's
 * SourceCodeInfo, which servers often strip (protoc-gen-es embeds descriptors
 * without it), so usually empty.
 */
export function commentOf(desc: DescMethod | DescField): string {
  const file = desc.kind === 'rpc' ? desc.parent.file : desc.parent.file;
  const locations = file.proto.sourceCodeInfo?.location;
  if (locations === undefined || locations.length === 0) return '';
  const path =
    desc.kind === 'rpc'
      ? [...servicePath(desc.parent), SERVICE_METHOD, desc.parent.proto.method.indexOf(desc.proto)]
      : [...messagePath(desc.parent), MESSAGE_FIELD, desc.parent.proto.field.indexOf(desc.proto)];
  const location = locations.find(
    (l) => l.path.length === path.length && l.path.every((step, i) => step === path[i]),
  );
  return (location?.leadingComments || location?.trailingComments || '').trim();
}
