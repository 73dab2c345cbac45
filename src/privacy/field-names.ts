/**
 * Field-name matching of the sanitizer: a name is compared by its letters and digits only,
 * lower-cased, so that `sisUserId`, `sis-user-id`, `SIS_USER_ID`, `Sis User Id` and
 * `sis.user.id` all mean the catalog's `sis_user_id`. Catalog names never collide under this
 * rule (a test checks it). Failing towards a match is the safe direction: a non-PII field that
 * happens to normalize like a PII one is treated too.
 *
 * @module
 */

const SEPARATORS = /[^\p{L}\p{N}]+/gu;

/** The matching form of a field name: its letters and digits, lower-cased (`sisuserid`). */
export function normalizeFieldName(name: string): string {
  return name.replace(SEPARATORS, '').toLowerCase();
}

/** Whether a field holds a URL by its name (normalized ending in `url`: `download_url`, `htmlUrl`). */
export function isUrlFieldName(normalized: string): boolean {
  return normalized.endsWith('url');
}
