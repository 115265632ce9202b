import { DeliveryMode } from '@switchboard/contracts';
import { buildCloudEventRequest } from './build-cloud-event-request';
import type { CloudEventJson } from '../delivery-job';

const event: CloudEventJson = {
  specversion: '1.0',
  id: 'evt-1',
  source: '/switchboard/order-service',
  type: 'switchboard.order.v1.OrderPlaced',
  time: '2026-11-30T15:00:00Z',
  datacontenttype: 'application/json',
  data: { orderId: 'o-1', total: { amountMinor: '1290' } },
};

describe('buildCloudEventRequest', () => {
  it('binary mode: attributes as ce- headers, the data as the body', () => {
    for (const mode of [DeliveryMode.UNSPECIFIED, DeliveryMode.BINARY]) {
      expect(buildCloudEventRequest(event, mode)).toEqual({
        headers: {
          'content-type': 'application/json',
          'ce-specversion': '1.0',
          'ce-id': 'evt-1',
          'ce-source': '/switchboard/order-service',
          'ce-type': 'switchboard.order.v1.OrderPlaced',
          'ce-time': '2026-11-30T15:00:00Z',
        },
        body: '{"orderId":"o-1","total":{"amountMinor":"1290"}}',
      });
    }
  });

  it('binary mode carries extensions and percent-encodes what a header cannot hold', () => {
    // No datacontenttype: JSON, the only data a job carries.
    const { headers, body } = buildCloudEventRequest(
      {
        specversion: '1.0',
        id: 'e 1',
        source: 'caf\u00e9/"x"',
        type: 't%\r\nx-injected: 1',
        traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
        sequence: 7,
        data: null,
      } as unknown as CloudEventJson,
      DeliveryMode.BINARY,
    );
    expect(headers).toEqual({
      'content-type': 'application/json',
      'ce-specversion': '1.0',
      'ce-id': 'e%201',
      'ce-source': 'caf%C3%A9/%22x%22',
      'ce-type': 't%25%0D%0Ax-injected:%201',
      'ce-traceparent': '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
      'ce-sequence': '7',
    });
    expect(body).toBe('null');
  });

  it('structured mode: the whole event as one application/cloudevents+json document', () => {
    const request = buildCloudEventRequest(event, DeliveryMode.STRUCTURED);
    expect(request.headers).toEqual({
      'content-type': 'application/cloudevents+json; charset=utf-8',
    });
    expect(JSON.parse(request.body)).toEqual(event);
  });
});
