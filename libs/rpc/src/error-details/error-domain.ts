/**
 * ErrorInfo's domain on every error our services send: its reason is then a
 * code of libs/errors' catalogue, and a reason under any other domain is not.
 */
export const ERROR_DOMAIN = 'switchboard';
