import { fromJsonString } from '@bufbuild/protobuf';
import { ConsoleService } from '@switchboard/contracts';
import { describeMethod } from './describe-method';
import { treeRegistry } from './testing/tree-file';

const registry = treeRegistry;
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
