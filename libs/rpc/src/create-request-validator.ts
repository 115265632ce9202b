import type { DescMessage, MessageShape } from '@bufbuild/protobuf';
import { pathToString } from '@bufbuild/protobuf/reflect';
import { createValidator, type Violation } from '@bufbuild/protovalidate';
import { createValidationError, type FieldViolation } from '@switchboard/errors';
import type { RequestValidator } from './request-validator';

/**
 * Field names as the proto spells them (`items[0].sku`), as a grpcurl user
 * types them; the message is the rule's own ("must be at most 64 characters",
 * or the custom one a CEL rule in the contract gives). A few standard rules
 * say "value is required": the field's name already stands for the value.
 */
function toFieldViolation(violation: Violation): FieldViolation {
  return {
    field: pathToString(violation.field),
    description: violation.message.replace(/^value /, '') || `breaks the rule ${violation.ruleId}`,
  };
}

/**
 * The contract's field rules, checked once for every service before a handler
 * runs, so handlers keep only the rules that need state or context. The
 * validator compiles each message's rules on first use and keeps them.
 */
export function createRequestValidator(): RequestValidator {
  const validator = createValidator();
  return {
    check(schema: DescMessage, request: unknown): void {
      const result = validator.validate(schema, request as MessageShape<DescMessage>);
      if (result.kind === 'valid') return;
      if (result.kind === 'invalid') {
        throw createValidationError(result.violations.map(toFieldViolation));
      }
      // A rule that cannot compile or run is a bug in the contract, not the caller's: INTERNAL.
      throw new Error(`the validation rules of ${schema.typeName} could not run`, {
        cause: result.error,
      });
    },
  };
}
