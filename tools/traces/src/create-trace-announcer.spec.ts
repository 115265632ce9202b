import { createSpanStore } from '@switchboard/otlp-receiver';
import { createTestSpan } from '@switchboard/otlp-receiver/testing';
import { createTraceAnnouncer } from './create-trace-announcer';

const span = (spanId: string, parentSpanId?: string) =>
  createTestSpan({
    spanId: spanId.padStart(16, '0'),
    ...(parentSpanId ? { parentSpanId: parentSpanId.padStart(16, '0') } : {}),
    name: `span-${spanId}`,
    startTimeUnixNano: '1000000',
    endTimeUnixNano: '2000000',
    durationMs: 1,
  });

describe('createTraceAnnouncer', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('announces a trace once it is quiet, naming the root that arrived after its child, and again when it grows', () => {
    const store = createSpanStore();
    const announced: string[] = [];
    const announcer = createTraceAnnouncer({
      store,
      quietMs: 1_000,
      announce: (t) => announced.push(`${t.root.name} ${t.spanCount}`),
    });
    store.add([span('2', '1')]); // the child ends, and is exported, first
    jest.advanceTimersByTime(600);
    store.add([span('1')]);
    jest.advanceTimersByTime(600);
    expect(announced).toEqual([]); // quiet for 600 ms only
    jest.advanceTimersByTime(600);
    expect(announced).toEqual(['span-1 2']);
    jest.advanceTimersByTime(5_000);
    expect(announced).toEqual(['span-1 2']); // once

    store.add([span('3', '2')]); // a late consumer
    jest.advanceTimersByTime(1_500);
    expect(announced).toEqual(['span-1 2', 'span-1 3']);
    announcer.stop();
  });
});
