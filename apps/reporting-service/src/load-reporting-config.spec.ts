import { ConfigError } from '@switchboard/config';
import { loadReportingConfig } from './load-reporting-config';

describe('loadReportingConfig', () => {
  it('defaults to EUR, the top 20 and five attempts', () => {
    expect(loadReportingConfig({ SWITCHBOARD_ENV: 'development' })).toMatchObject({
      service: 'reporting-service',
      port: 50056,
      currency: 'EUR',
      topLimit: 20,
      maxAttempts: 5,
    });
  });

  it('reads the reporting variables, upper-casing the currency', () => {
    expect(
      loadReportingConfig({
        SWITCHBOARD_ENV: 'development',
        REPORTING_CURRENCY: 'usd',
        REPORTING_TOP_LIMIT: '5',
        REPORTING_MAX_ATTEMPTS: '3',
      }),
    ).toMatchObject({ currency: 'USD', topLimit: 5, maxAttempts: 3 });
  });

  it('lists every bad variable at once', () => {
    let caught: unknown;
    try {
      loadReportingConfig({
        SWITCHBOARD_ENV: 'development',
        REPORTING_CURRENCY: 'EURO',
        REPORTING_TOP_LIMIT: '0',
        REPORTING_MAX_ATTEMPTS: 'many',
      });
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(ConfigError);
    expect((caught as ConfigError).problems).toEqual([
      'REPORTING_CURRENCY: must be a three-letter ISO 4217 code (got "EURO")',
      'REPORTING_TOP_LIMIT: must be between 1 and 1000 (got "0")',
      'REPORTING_MAX_ATTEMPTS: must be a whole number (got "many")',
    ]);
  });
});
