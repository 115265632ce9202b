import { parseTracesArgs } from './parse-traces-args';

describe('parseTracesArgs', () => {
  it('reads receive with its defaults and options', () => {
    expect(parseTracesArgs(['receive'], {})).toEqual({
      command: 'receive',
      host: '127.0.0.1',
      port: 4318,
      file: '.data/traces.jsonl',
      maxSpans: undefined,
      maxBytes: undefined,
    });
    expect(
      parseTracesArgs(
        ['receive', '--port=0', '--file', 'x.jsonl', '--max-spans', '10', '--max-bytes', '2048'],
        {},
      ),
    ).toMatchObject({ port: 0, file: 'x.jsonl', maxSpans: 10, maxBytes: 2048 });
  });

  it('reads show and list, the spans file under DATA_DIR', () => {
    expect(
      parseTracesArgs(['show', '4BF92F3577B34DA6A3CE929D0E0E4736'], { DATA_DIR: '/d' }),
    ).toEqual({
      command: 'show',
      traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
      file: '/d/traces.jsonl',
    });
    expect(parseTracesArgs(['list', '--limit', '5'], {})).toEqual({
      command: 'list',
      limit: 5,
      file: '.data/traces.jsonl',
    });
  });

  it('rejects bad arguments with a message that names them', () => {
    expect(() => parseTracesArgs([], {})).toThrow('missing command');
    expect(() => parseTracesArgs(['tail'], {})).toThrow('unknown command tail');
    expect(() => parseTracesArgs(['show'], {})).toThrow('show needs a trace id');
    expect(() => parseTracesArgs(['show', '123'], {})).toThrow(
      'a trace id is 32 hexadecimal digits (got "123")',
    );
    expect(() => parseTracesArgs(['show', 'a'.repeat(32), 'b'], {})).toThrow(
      'unexpected argument b',
    );
    expect(() => parseTracesArgs(['show', 'a'.repeat(32), '--port', '1'], {})).toThrow(
      '--port is not an option of show',
    );
    expect(() => parseTracesArgs(['receive', '--port', '70000'], {})).toThrow(
      '--port must be a whole number from 0 to 65535 (got "70000")',
    );
    expect(() => parseTracesArgs(['list', '--limit', '0'], {})).toThrow(
      '--limit must be a whole number from 1',
    );
    expect(() => parseTracesArgs(['list', '--verbose'], {})).toThrow("Unknown option '--verbose'");
    expect(() => parseTracesArgs(['receive', '--port'], {})).toThrow(
      "Option '--port <value>' argument missing",
    );
  });
});
