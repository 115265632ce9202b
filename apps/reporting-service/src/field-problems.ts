import { CONTROL_CHARACTER, SKU_PATTERN, UUID_PATTERN } from '@switchboard/contracts';

/**
 * Checks of single event fields against the bounds their producer's API
 * enforces (from the contracts), each returning the problem or undefined.
 * The report stores ids and names as they come and shows them to the admin,
 * so what the producer would have refused is refused here too.
 */
export const fieldProblems = {
  /** Users and orders only ever get UUIDs from the services that mint them. */
  uuid(field: string, value: string): string | undefined {
    if (value === '') return `${field} is empty`;
    return UUID_PATTERN.test(value) ? undefined : `${field} is not a UUID`;
  },

  sku(field: string, value: string): string | undefined {
    if (value === '') return `${field} is empty`;
    return SKU_PATTERN.test(value) ? undefined : `${field} is not a well-formed sku`;
  },

  /** Required text of at most `maxChars` code points, without control characters. */
  text(field: string, value: string, maxChars: number): string | undefined {
    if (value.trim() === '') return `${field} is empty`;
    const length = [...value].length;
    if (length > maxChars) return `${field} has ${length} characters, more than ${maxChars}`;
    return CONTROL_CHARACTER.test(value) ? `${field} contains control characters` : undefined;
  },
};
