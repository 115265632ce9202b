// Helpers for integration tests: a real Kafka broker and a real PostgreSQL server.
export * from './kafka-test-broker';
export * from './postgres-test-server';
