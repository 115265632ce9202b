// Connect serves a method over GET when the contract marks it NO_SIDE_EFFECTS,
// and buf's breaking check lets that mark change (buf.yaml says why). This spec
// is what keeps the mark honest: it must sit on exactly the unary methods whose
// REST route is a GET, so a method that writes can never be fetched by GET and
// a read can never lose its GET on the Connect side alone.
import { getOption, type DescService } from '@bufbuild/protobuf';
import { MethodOptions_IdempotencyLevel } from '@bufbuild/protobuf/wkt';
import {
  AuthService,
  http,
  InventoryService,
  NotificationService,
  OrderService,
  PostService,
  ReportingService,
} from './index';

const services: DescService[] = [
  AuthService,
  InventoryService,
  OrderService,
  PostService,
  NotificationService,
  ReportingService,
];

const methods = services.flatMap((s) => s.methods.map((m) => ({ name: `${s.name}.${m.name}`, m })));

describe('idempotency marks follow the REST verb', () => {
  it.each(methods)('$name', ({ m }) => {
    const routedByGet = getOption(m, http)?.pattern.case === 'get';
    const marked = m.idempotency === MethodOptions_IdempotencyLevel.NO_SIDE_EFFECTS;
    expect({ marked }).toEqual({ marked: routedByGet && m.methodKind === 'unary' });
  });

  it('marks the reads the edge serves by GET (the mark is really there)', () => {
    const marked = methods
      .filter(({ m }) => m.idempotency === MethodOptions_IdempotencyLevel.NO_SIDE_EFFECTS)
      .map(({ name }) => name);
    expect(marked).toEqual(
      expect.arrayContaining([
        'InventoryService.GetProduct',
        'InventoryService.ListProducts',
        'OrderService.GetOrder',
        'NotificationService.ListNotifications',
      ]),
    );
    expect(marked).not.toContain('NotificationService.WatchNotifications');
  });
});
