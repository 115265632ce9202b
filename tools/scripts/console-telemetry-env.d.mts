// Types for console-telemetry-env.mjs, which node runs as it is.
type Env = Readonly<Record<string, string | undefined>>;

export declare const OTLP_ENDPOINT_VARIABLES: readonly string[];
export declare const DEVELOPMENT_METRIC_EXPORT_INTERVAL_MS: number;
export declare function consoleUrl(env: Env): string;
export declare function consoleTelemetryEnv(env: Env): Record<string, string>;
