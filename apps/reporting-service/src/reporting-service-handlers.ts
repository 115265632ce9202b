import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import type { ReportingService } from '@switchboard/contracts';
import type { AccessPolicy, ServiceImpl } from '@switchboard/rpc';
import type { Kysely } from '@switchboard/storage';
import { querySalesReport } from './query-sales-report';
import type { ReportingDatabase } from './reporting-schema';
import { validateSalesReportRequest } from './validate-sales-report-request';

/** Sales figures and who bought what are the business's, not a customer's: admins only. */
export const reportingAccessPolicy: AccessPolicy<typeof ReportingService> = {
  getSalesReport: 'admin',
};

export interface ReportingServiceDeps {
  db: Kysely<ReportingDatabase>;
  /** The one currency every figure is in. */
  currency: string;
  /** Longest list of products and of customers. */
  topLimit: number;
}

export function createReportingServiceHandlers(
  deps: ReportingServiceDeps,
): ServiceImpl<typeof ReportingService> {
  const { db, currency, topLimit } = deps;
  const money = (amountMinor: bigint) => ({ currencyCode: currency, amountMinor });

  return {
    async getSalesReport(request) {
      const range = validateSalesReportRequest(request);
      const report = await querySalesReport(db, { ...range, currency, limit: topLimit });
      return {
        orderCount: report.totals.orderCount,
        unitsSold: report.totals.unitsSold,
        revenue: money(report.totals.revenueMinor),
        days: report.days.map((d) => ({
          day: timestampFromDate(d.day),
          orderCount: d.orderCount,
          unitsSold: d.unitsSold,
          revenue: money(d.revenueMinor),
        })),
        products: report.products.map((p) => ({
          sku: p.sku,
          name: p.name,
          unitsSold: p.unitsSold,
          revenue: money(p.revenueMinor),
        })),
        customers: report.customers.map((c) => ({
          customerId: c.customerId,
          displayName: c.displayName,
          orderCount: c.orderCount,
          revenue: money(c.revenueMinor),
        })),
      };
    },
  };
}
