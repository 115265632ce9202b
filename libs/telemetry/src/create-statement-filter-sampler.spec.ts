import { ROOT_CONTEXT, SpanKind } from '@opentelemetry/api';
import { AlwaysOnSampler, SamplingDecision } from '@opentelemetry/sdk-trace';
import {
  createStatementFilterSampler,
  isTransactionControlSpan,
} from './create-statement-filter-sampler';

describe('createStatementFilterSampler', () => {
  const sampler = createStatementFilterSampler(new AlwaysOnSampler());
  const decide = (name: string) =>
    sampler.shouldSample(
      ROOT_CONTEXT,
      '0af7651916cd43dd8448eb211c80319c',
      name,
      SpanKind.CLIENT,
      {},
      [],
    ).decision;

  it.each([
    'pg.query:BEGIN switchboard_order',
    'pg.query:START switchboard_order',
    'pg.query:COMMIT switchboard_order',
    'pg.query:SAVEPOINT switchboard_order',
    'pg.query:RELEASE switchboard_order',
    'pg.query:COMMIT',
  ])('drops %s', (name) => {
    expect(isTransactionControlSpan(name)).toBe(true);
    expect(decide(name)).toBe(SamplingDecision.NOT_RECORD);
  });

  it.each([
    'pg.query:SELECT switchboard_order',
    'pg.query:INSERT switchboard_order',
    'pg.query:ROLLBACK switchboard_order',
    'pg.query:BEGINNING switchboard_order',
    'switchboard.order.v1.OrderService/PlaceOrder',
    'BEGIN',
  ])('leaves %s to the configured sampler', (name) => {
    expect(isTransactionControlSpan(name)).toBe(false);
    expect(decide(name)).toBe(SamplingDecision.RECORD_AND_SAMPLED);
  });
});
