// Test support for code that handles received spans; specs only.
export { createTestSpan } from './create-test-span';
