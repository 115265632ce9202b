import { parseEventsArgs } from './parse-events-args';

describe('parseEventsArgs for dlq and lag', () => {
  it('reads dlq list and redrive with the topic given with or without .dlq', () => {
    expect(parseEventsArgs(['dlq', 'list', 'sales.orders.v1'], { KAFKA_BROKERS: 'h:1' })).toEqual({
      command: 'dlq-list',
      topic: 'sales.orders.v1.dlq',
      brokers: ['h:1'],
    });
    expect(parseEventsArgs(['dlq', 'redrive', 'sales.orders.v1.dlq'], {})).toEqual({
      command: 'dlq-redrive',
      topic: 'sales.orders.v1.dlq',
      brokers: ['127.0.0.1:9092'],
    });
  });

  it('reads lag with a group', () => {
    expect(parseEventsArgs(['lag', 'notification-service', '--brokers=h:2'], {})).toEqual({
      command: 'lag',
      groupId: 'notification-service',
      brokers: ['h:2'],
    });
  });

  it('rejects incomplete or mixed-up usage', () => {
    expect(() => parseEventsArgs(['dlq'], {})).toThrow('dlq needs list or redrive');
    expect(() => parseEventsArgs(['dlq', 'purge', 't'], {})).toThrow('unknown dlq action purge');
    expect(() => parseEventsArgs(['dlq', 'list'], {})).toThrow('dlq list needs a topic');
    expect(() => parseEventsArgs(['dlq', 'list', 't', 'u'], {})).toThrow('unexpected argument u');
    expect(() => parseEventsArgs(['dlq', 'redrive', 't', '--max', '2'], {})).toThrow(
      '--max is an option of tail, not dlq redrive',
    );
    expect(() => parseEventsArgs(['lag'], {})).toThrow('lag needs a consumer group');
    expect(() => parseEventsArgs(['lag', 'g', '--from-beginning'], {})).toThrow(
      '--from-beginning is an option of tail, not lag',
    );
  });

  it('reads tail with its options, inline or separate', () => {
    expect(parseEventsArgs(['tail', 't', '--from-beginning', '--max', '3'], {})).toEqual({
      command: 'tail',
      topic: 't',
      fromBeginning: true,
      max: 3,
      brokers: ['127.0.0.1:9092'],
    });
    expect(parseEventsArgs(['--max=1', 'tail', 't', '--brokers', 'a:1, b:2'], {})).toMatchObject({
      fromBeginning: false,
      max: 1,
      brokers: ['a:1', 'b:2'],
    });
  });

  it('names the option that is wrong', () => {
    expect(() => parseEventsArgs(['tail', 't', '--nope'], {})).toThrow('unknown option --nope');
    expect(() => parseEventsArgs(['tail', 't', '-x'], {})).toThrow('unknown option -x');
    expect(() => parseEventsArgs(['tail', 't', '--max'], {})).toThrow('--max needs a value');
    expect(() => parseEventsArgs(['tail', 't', '--max', '0'], {})).toThrow(
      '--max must be a positive whole number (got "0")',
    );
    expect(() => parseEventsArgs(['tail', 't', '--from-beginning=yes'], {})).toThrow(
      '--from-beginning takes no value',
    );
    expect(() => parseEventsArgs([], {})).toThrow('missing command');
  });
});
