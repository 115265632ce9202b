// Every project's unit and integration tests in one jest run. The end-to-end
// smoke test (tools/e2e) is separate: it starts the whole stack on the
// well-known ports, so it runs last and alone.
module.exports = {
  // Global options are not taken from the projects' configs: repeat the preset's here.
  testTimeout: require('./jest.preset.js').testTimeout,
  projects: [
    '<rootDir>/apps/*/jest.config.js',
    // The console's browser app is a project of its own inside apps/console.
    '<rootDir>/apps/console/ui/jest.config.js',
    '<rootDir>/libs/*/jest.config.js',
    // The Kubernetes manifests: rendered and validated offline.
    '<rootDir>/deploy/jest.config.js',
    '<rootDir>/tools/events/jest.config.js',
    // The local Kafka tool: its cluster planner, and a real 3-node cluster's guarantees.
    '<rootDir>/tools/kafka/jest.config.js',
    '<rootDir>/tools/bench/jest.config.js',
    '<rootDir>/tools/postgres/jest.config.js',
    '<rootDir>/tools/scripts/jest.config.js',
    '<rootDir>/tools/webhook-receiver/jest.config.js',
  ],
};
