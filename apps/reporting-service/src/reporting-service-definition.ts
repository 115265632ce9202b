import { ReportingService } from '@switchboard/contracts';
import { defineStandardService } from '@switchboard/service-runtime';
import { loadReportingConfig } from './load-reporting-config';
import { migrations } from './migrations';
import { createReportingModule } from './reporting-module';

/** The reporting service as main.ts runs it and its tests start it. */
export const reportingServiceDefinition = defineStandardService({
  service: ReportingService,
  moduleName: 'reporting',
  loadConfig: loadReportingConfig,
  migrations,
  createModule: createReportingModule,
});
