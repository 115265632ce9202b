// Helpers for integration tests: a real Kafka broker, a real PostgreSQL server,
// the workspace's services as real processes or started in the test's own
// process from their definitions, a gRPC proxy that misbehaves on request,
// throwaway TLS certificates, and an in-memory OpenTelemetry SDK.
export * from './create-test-certificates';
export * from './kafka-test-broker';
export * from './postgres-test-server';
export * from './register-test-telemetry';
export * from './start-grpc-fault-proxy';
export * from './start-service-process';
export * from './rpc-failure';
export * from './create-test-authenticator';
export * from './stream-events-in-background';
export * from './service-under-test';
export * from './start-service-under-test';
export * from './create-test-logger';
export * from './eventually';
export * from './find-workspace-root';
export * from './spawn-bundle';
export * from './spawn-app-process';
export * from './violations-of';
export * from './user-tokens';
