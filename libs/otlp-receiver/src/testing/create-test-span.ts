import type { ReceivedSpan } from '../received-span';

/**
 * A span for tests: the fields a test names come from `fields`, every other
 * one is a plain internal span of service "svc" that nothing asserts on.
 */
export function createTestSpan(
  fields: Pick<ReceivedSpan, 'spanId'> & Partial<ReceivedSpan>,
): ReceivedSpan {
  return {
    traceId: 'a'.repeat(32),
    name: `span-${fields.spanId}`,
    kind: 'internal',
    startTimeUnixNano: '0',
    endTimeUnixNano: '0',
    durationMs: 0,
    status: { code: 'unset' },
    service: 'svc',
    attributes: {},
    resource: {},
    scope: { name: 'test' },
    events: [],
    links: [],
    ...fields,
  };
}
