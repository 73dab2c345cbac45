/**
 * canvas-sync: pull data out of Canvas LMS at institution scale, paced by
 * Canvas's own rate-limit headers, with student identifiers pseudonymized.
 *
 * @packageDocumentation
 */
export const VERSION = '0.1.0';
