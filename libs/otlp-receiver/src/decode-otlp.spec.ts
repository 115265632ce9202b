import { decodeLogsJson, decodeMetricsJson, decodeTracesJson } from './decode-otlp-json';
import {
  decodeLogsProtobuf,
  decodeMetricsProtobuf,
  decodeTracesProtobuf,
} from './decode-otlp-protobuf';
import { OtlpDecodeError } from './otlp-decode-error';

/** A small deterministic generator, so a failure replays. */
function random(seed: number): () => number {
  let s = seed;
  return () => (s = (s * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31;
}

describe('OTLP decoders', () => {
  it('answer any byte string with spans or an OtlpDecodeError, never another error', () => {
    const next = random(42);
    // Bytes biased towards tags and lengths of the OTLP messages, so the walk goes deep.
    const alphabet = [
      0x0a, 0x12, 0x1a, 0x22, 0x2a, 0x08, 0x30, 0x39, 0x41, 0x02, 0x04, 0x10, 0xff, 0x80, 0x00,
    ];
    for (let i = 0; i < 3_000; i++) {
      const bytes = Uint8Array.from({ length: 1 + Math.floor(next() * 64) }, () =>
        next() < 0.8 ? alphabet[Math.floor(next() * alphabet.length)]! : Math.floor(next() * 256),
      );
      for (const decode of [decodeTracesProtobuf, decodeMetricsProtobuf, decodeLogsProtobuf]) {
        try {
          decode(bytes);
        } catch (err) {
          expect(err).toBeInstanceOf(OtlpDecodeError);
        }
      }
    }
  });

  it('answer malformed or mistyped JSON with an OtlpDecodeError naming the place', () => {
    const bodies: [string, string][] = [
      ['[]', 'the request body must be a JSON object'],
      ['{"resourceSpans":[1]}', 'resourceSpans[0] must be a JSON object'],
      [
        '{"resourceSpans":[{"scopeSpans":[{"spans":[{"name":7}]}]}]}',
        'resourceSpans[0].scopeSpans[0].spans[0].name must be a string',
      ],
      [
        '{"resourceSpans":[{"scopeSpans":[{"spans":[{"startTimeUnixNano":"soon"}]}]}]}',
        'startTimeUnixNano must be an integer or a decimal string',
      ],
      [
        '{"resourceSpans":[{"scopeSpans":[{"spans":[{"kind":{}}]}]}]}',
        'kind must be an enum number or name',
      ],
    ];
    for (const [body, message] of bodies) {
      expect(() => decodeTracesJson(Buffer.from(body))).toThrow(OtlpDecodeError);
      expect(() => decodeTracesJson(Buffer.from(body))).toThrow(message);
    }
    expect(() => decodeMetricsJson(Buffer.from('{"resourceMetrics":{}}'))).toThrow(
      'resourceMetrics must be an array',
    );
    expect(() => decodeLogsJson(Buffer.from('nope'))).toThrow('malformed JSON');
  });

  it('read enum names and 64-bit integers as strings, as the JSON mapping allows', () => {
    const body = {
      resourceSpans: [
        {
          resource: {
            attributes: [{ key: 'service.name', value: { stringValue: 'order-service' } }],
          },
          scopeSpans: [
            {
              spans: [
                {
                  traceId: '4BF92F3577B34DA6A3CE929D0E0E4736',
                  spanId: '00f067aa0ba902b7',
                  name: 'PlaceOrder',
                  kind: 'SPAN_KIND_SERVER',
                  startTimeUnixNano: '1700000000000000000',
                  endTimeUnixNano: 1_700_000_000,
                  status: { code: 'STATUS_CODE_ERROR', message: 'boom' },
                  attributes: [
                    { key: 'big', value: { intValue: '9007199254740993' } },
                    { key: 'small', value: { intValue: 7 } },
                    {
                      key: 'kv',
                      value: {
                        kvlistValue: { values: [{ key: 'a', value: { boolValue: true } }] },
                      },
                    },
                  ],
                },
              ],
            },
          ],
        },
      ],
    };
    const { spans, rejected } = decodeTracesJson(Buffer.from(JSON.stringify(body)));
    expect(rejected).toEqual([]);
    expect(spans[0]).toMatchObject({
      traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
      kind: 'server',
      service: 'order-service',
      status: { code: 'error', message: 'boom' },
      attributes: { big: '9007199254740993', small: 7, kv: { a: true } },
      // An end before the start is clamped, so durations are never negative.
      endTimeUnixNano: '1700000000000000000',
      durationMs: 0,
    });
  });
});
