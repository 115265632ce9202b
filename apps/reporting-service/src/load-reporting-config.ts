import { env, loadServiceConfig, type ConfigField, type Env } from '@switchboard/config';

/** An ISO 4217 code as the contract's Money carries it: three capital letters. */
function currencyCode(name: string, defaultValue: string): ConfigField<string> {
  return {
    env: name,
    parse(raw) {
      const value = (raw ?? defaultValue).trim().toUpperCase();
      if (!/^[A-Z]{3}$/.test(value)) throw new Error('must be a three-letter ISO 4217 code');
      return value;
    },
  };
}

const reportingSchema = {
  /**
   * The report's one currency. Orders in any other currency are stored but
   * left out of every figure: there is no exchange rate to add them with.
   */
  currency: currencyCode('REPORTING_CURRENCY', 'EUR'),
  /** How many best sellers and biggest spenders a report lists. */
  topLimit: env.int('REPORTING_TOP_LIMIT', { default: 20, min: 1, max: 1_000 }),
  /** Deliveries of one event before it goes to the dead-letter topic. */
  maxAttempts: env.int('REPORTING_MAX_ATTEMPTS', { default: 5, min: 1, max: 100 }),
};

export function loadReportingConfig(source: Env = process.env) {
  return loadServiceConfig('reporting', reportingSchema, source);
}

export type ReportingConfig = ReturnType<typeof loadReportingConfig>;
