import { Code } from '@connectrpc/connect';
import {
  as,
  failure,
  openReportingStore,
  startReportingTestService,
  type ReportingStore,
  type ReportingTestService,
} from './testing/reporting-test-harness';

describe('ReportingService access', () => {
  let store: ReportingStore;
  let t: ReportingTestService;

  beforeAll(async () => {
    store = await openReportingStore();
    t = await startReportingTestService(store);
  });
  afterAll(async () => {
    await t?.stop();
    await store?.dispose();
  });

  it('answers an admin', async () => {
    const res = await t.client.getSalesReport({}, as.admin);
    expect(res.revenue).toMatchObject({ currencyCode: 'EUR', amountMinor: 0n });
  });

  it('refuses a signed-in customer with PERMISSION_DENIED', async () => {
    const err = await failure(t.client.getSalesReport({}, as.alice));
    expect(err.code).toBe(Code.PermissionDenied);
  });

  it('refuses a caller without a token with UNAUTHENTICATED', async () => {
    const err = await failure(t.client.getSalesReport({}, as.anonymous));
    expect(err.code).toBe(Code.Unauthenticated);
  });

  it('refuses a token the authenticator rejects with UNAUTHENTICATED', async () => {
    const err = await failure(t.client.getSalesReport({}, as.forged));
    expect(err.code).toBe(Code.Unauthenticated);
  });
});
