export { errorCatalogue, type ErrorCode, type ErrorKind } from './error-catalogue';
export {
  DomainError,
  createValidationError,
  isDomainError,
  type DomainErrorOptions,
  type FieldViolation,
  type PreconditionViolation,
} from './domain-error';
export { requireEachSkuOnce, type SkuLine } from './require-each-sku-once';
export { isDatabaseUnavailableError } from './is-database-unavailable-error';
