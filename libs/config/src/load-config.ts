import { isPublishedSecret } from './published-secrets';

/**
 * Reads environment variables once, into a typed and frozen object. Every
 * problem is collected before failing, so one start-up shows them all.
 */
export type Env = Record<string, string | undefined>;

export interface ConfigField<T> {
  readonly env: string;
  /** A secret's value never appears in an error message. */
  readonly secret?: boolean;
  parse(raw: string | undefined, context: ParseContext): T;
}

/** What a field may need to know beyond its own variable. */
export interface ParseContext {
  /**
   * True only when SWITCHBOARD_ENV=development. Everything else is production,
   * where published development defaults are refused.
   */
  readonly development: boolean;
}

export class ConfigError extends Error {
  constructor(
    readonly scope: string,
    readonly problems: string[],
  ) {
    super(`invalid configuration for ${scope}:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/**
 * A value made of several variables that must agree with each other (e.g. a
 * SASL mechanism needs a username). It reads what it needs and reports each
 * problem as "VARIABLE: rule", so errors still name the variable.
 */
export interface ConfigGroup<T> {
  readonly group: true;
  read(env: Env, problems: string[], context: ParseContext): T;
}

export type ConfigSchema = Record<string, ConfigField<unknown> | ConfigGroup<unknown>>;
export type ConfigOf<S extends ConfigSchema> = {
  readonly [K in keyof S]: S[K] extends ConfigField<infer T>
    ? T
    : S[K] extends ConfigGroup<infer G>
      ? G
      : never;
};

export function loadConfig<S extends ConfigSchema>(
  scope: string,
  schema: S,
  env: Env = process.env,
): ConfigOf<S> {
  const problems: string[] = [];
  const out: Record<string, unknown> = {};
  let context: ParseContext = { development: false };
  try {
    context = runMode.parse(env[runMode.env] || undefined);
  } catch (err) {
    problems.push(
      `${runMode.env}: ${(err as Error).message} (got ${JSON.stringify(env[runMode.env])})`,
    );
  }
  for (const [key, field] of Object.entries(schema)) {
    out[key] =
      'group' in field
        ? field.read(env, problems, context)
        : readField(field, env, problems, context);
  }
  if (problems.length > 0) throw new ConfigError(scope, problems);
  return Object.freeze(out) as ConfigOf<S>;
}

/**
 * SWITCHBOARD_ENV: unset means production, so a service started by hand or by
 * an orchestrator never runs on the defaults this repository publishes. A
 * typo fails the start rather than silently choosing a mode.
 */
const runMode = {
  env: 'SWITCHBOARD_ENV',
  parse(raw: string | undefined): ParseContext {
    if (raw === undefined || raw === 'production') return { development: false };
    if (raw === 'development') return { development: true };
    throw new Error('must be development or production');
  },
};

/** True when the variables describe a development run (SWITCHBOARD_ENV=development). */
export function isDevelopment(source: Env = process.env): boolean {
  return source[runMode.env] === 'development';
}

/**
 * Parses one variable. A problem goes into `problems`, naming the variable and
 * the rule (a secret's value is never shown), and the result is undefined.
 */
export function readField<T>(
  field: ConfigField<T>,
  env: Env,
  problems: string[],
  context: ParseContext = { development: false },
): T | undefined {
  const raw = env[field.env];
  try {
    return field.parse(raw === '' ? undefined : raw, context);
  } catch (err) {
    const shown =
      raw === undefined ? 'unset' : field.secret ? 'value hidden' : `got ${JSON.stringify(raw)}`;
    problems.push(`${field.env}: ${(err as Error).message} (${shown})`);
    return undefined;
  }
}

function required<T>(value: T | undefined): T {
  if (value === undefined) throw new Error('is required');
  return value;
}

/** Field constructors. Without a default a field is required. */
export const env = {
  string(name: string, options: { default?: string } = {}): ConfigField<string> {
    return { env: name, parse: (raw) => required(raw ?? options.default) };
  },

  /** true/false/1/0, case-insensitive. */
  flag(name: string, options: { default: boolean }): ConfigField<boolean> {
    return {
      env: name,
      parse(raw) {
        if (raw === undefined) return options.default;
        const value = raw.trim().toLowerCase();
        if (value === 'true' || value === '1') return true;
        if (value === 'false' || value === '0') return false;
        throw new Error('must be true or false');
      },
    };
  },

  /** Marks a field as secret, so a rejected value is never echoed back. */
  secret<T>(field: ConfigField<T>): ConfigField<T> {
    return { ...field, secret: true };
  },

  /**
   * A password, key or other secret. In development an unset one takes
   * developmentDefault; anywhere else it must be set, and to a value that is
   * not published in this repository (see published-secrets.ts).
   */
  credential(
    name: string,
    options: { developmentDefault: string; minLength?: number },
  ): ConfigField<string> {
    const minLength = options.minLength ?? 1;
    return {
      env: name,
      secret: true,
      parse(raw, context) {
        if (raw === undefined) {
          if (context.development) return options.developmentDefault;
          throw new Error('is required outside development (SWITCHBOARD_ENV=development)');
        }
        if (!context.development && isPublishedSecret(raw)) {
          throw new Error(
            'is a value published in this repository; choose your own outside development',
          );
        }
        if ([...raw].length < minLength)
          throw new Error(`must be at least ${minLength} characters`);
        return raw;
      },
    };
  },

  /**
   * A switch that is on by default in development only, and that may not be
   * turned on anywhere else (e.g. seeding demo accounts with published passwords).
   */
  developmentOnlyFlag(name: string): ConfigField<boolean> {
    const flag = env.flag(name, { default: false });
    return {
      env: name,
      parse(raw, context) {
        const value = raw === undefined ? context.development : flag.parse(raw, context);
        if (value && !context.development) {
          throw new Error('may be on only in development (SWITCHBOARD_ENV=development)');
        }
        return value;
      },
    };
  },

  optionalString(name: string): ConfigField<string | undefined> {
    return { env: name, parse: (raw) => raw };
  },

  int(name: string, options: { default?: number; min?: number; max?: number } = {}) {
    const { min = Number.MIN_SAFE_INTEGER, max = Number.MAX_SAFE_INTEGER } = options;
    return {
      env: name,
      parse(raw: string | undefined): number {
        if (raw === undefined) return required(options.default);
        if (!/^-?\d+$/.test(raw.trim())) throw new Error('must be a whole number');
        const value = Number(raw);
        if (value < min || value > max) throw new Error(`must be between ${min} and ${max}`);
        return value;
      },
    } satisfies ConfigField<number>;
  },

  port(name: string, defaultPort: number): ConfigField<number> {
    return env.int(name, { default: defaultPort, min: 1, max: 65535 });
  },

  /** Comma-separated list, e.g. KAFKA_BROKERS=host1:9092,host2:9092. */
  list(name: string, options: { default?: string[] } = {}): ConfigField<string[]> {
    return {
      env: name,
      parse(raw) {
        if (raw === undefined) return required(options.default);
        const items = raw
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean);
        if (items.length === 0) throw new Error('must list at least one value');
        return items;
      },
    };
  },

  oneOf<T extends string>(name: string, values: readonly T[], options: { default?: T } = {}) {
    return {
      env: name,
      parse(raw: string | undefined): T {
        const value = raw ?? required(options.default);
        if (!values.includes(value as T)) throw new Error(`must be one of ${values.join(', ')}`);
        return value as T;
      },
    } satisfies ConfigField<T>;
  },

  /**
   * A postgres:// or postgresql:// server URL. Secret: it usually carries the
   * database password, so a rejected value is never echoed back.
   */
  optionalPostgresUrl(name: string): ConfigField<string | undefined> {
    return {
      env: name,
      secret: true,
      parse(raw) {
        if (raw === undefined) return undefined;
        return checkPostgresUrl(raw);
      },
    };
  },

  /**
   * A PostgreSQL server URL that must be set outside development; in
   * development an unset one is `developmentDefault` (the local server
   * `npm start` runs). `unlessSet` names a variable that makes this one
   * optional when set (a per-service URL that replaces the shared one).
   */
  postgresUrl(
    name: string,
    options: { developmentDefault: string; unlessSet?: string; source?: Env },
  ): ConfigField<string | undefined> {
    return {
      env: name,
      secret: true,
      parse(raw, context) {
        if (raw !== undefined) return checkPostgresUrl(raw);
        if (context.development) return options.developmentDefault;
        if (options.unlessSet && options.source?.[options.unlessSet]) return undefined;
        const alternative = options.unlessSet ? ` (or ${options.unlessSet})` : '';
        throw new Error(
          `is required outside development${alternative}: the PostgreSQL server, e.g. postgres://user:pass@host:5432/postgres`,
        );
      },
    };
  },
};

function checkPostgresUrl(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new Error('must be a URL like postgres://user:pass@host:5432/db');
  }
  if (url.protocol !== 'postgres:' && url.protocol !== 'postgresql:') {
    throw new Error('must start with postgres:// or postgresql://');
  }
  return raw;
}
