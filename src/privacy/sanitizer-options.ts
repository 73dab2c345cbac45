/**
 * Options of {@link FerpaSanitizer}, their validation, and the policy they resolve to: one
 * action per field name (in its normalized form, see `./field-names.ts`), inside and outside
 * person objects.
 *
 * @module
 */
import { z } from 'zod';
import { CanvasOptionsError, type OptionsIssue } from '../errors/index.js';
import {
  type PiiAction,
  type PiiFieldEntry,
  personMarkerFields,
  personObjectKeys,
  piiActions,
  piiCatalog,
} from './catalog.js';
import { isUrlFieldName, normalizeFieldName } from './field-names.js';
import { KEY_ID_PATTERN, keyBytes, MIN_KEY_BYTES } from './pseudonymizer.js';

/**
 * What the sanitizer does with free-text fields (`message`, `body`, `comment`, `comments`,
 * `filename`). Private conversation messages are redacted whatever it says.
 * @category Privacy
 */
export type FreeTextPolicy = 'redact-emails' | 'redact-all' | 'keep';

/**
 * Options of {@link FerpaSanitizer}. All are optional, but the default policy needs a `key`.
 * @category Privacy
 */
export interface FerpaSanitizerOptions {
  /**
   * The institution's secret for pseudonyms (HMAC-SHA256), at least 32 bytes; a string is used
   * as its UTF-8 bytes. Generate one with `crypto.randomBytes(32)` and keep it in a secret
   * store: whoever holds it can recompute (not reverse) every pseudonym. Required unless the
   * policy pseudonymizes nothing. Copied; never exposed by the sanitizer.
   */
  key?: string | Uint8Array | undefined;
  /**
   * Names the key inside every pseudonym (`ps_<keyId>_…`), so pseudonyms made with an old key
   * are recognizable after a rotation. 1 to 32 characters from `A-Z a-z 0-9 -`.
   * @defaultValue 8 hex digits of a SHA-256 fingerprint of the key
   */
  keyId?: string | undefined;
  /**
   * `'denylist'`: catalog fields are treated, every other field is kept. `'allowlist'`: only
   * fields named in `allow` (or in `fields`) are kept, plus pseudonymized ones, in pseudonym
   * form; everything else is dropped. The safest for exports.
   * @defaultValue 'denylist'
   */
  mode?: 'denylist' | 'allowlist' | undefined;
  /**
   * Actions by field name, overriding the catalog and `allow` in every object. Names match in
   * any case and with any separators (`courseId` = `course_id`); two spellings of one name with
   * different actions are refused.
   */
  fields?: Record<string, PiiAction> | undefined;
  /**
   * Allowlist mode only: field names kept (matched in any case and with any separators).
   * Catalog actions still apply to them (`email` stays dropped unless `fields` says otherwise);
   * a nested object is only walked if its field is kept.
   */
  allow?: readonly string[] | undefined;
  /**
   * Pseudonymize Canvas's ids of people and records (`id`, `user_id`, `author_id`, `grader_id`,
   * `editor_id`, `associated_user_id`, `links.user`, `links.real_user`), and drop URLs that
   * embed them (`html_url`, `preview_url`). Other references (`course_id`, `assignment_id`,
   * `parent_id`) are kept. @defaultValue false
   */
  pseudonymizeCanvasIds?: boolean | undefined;
  /**
   * Free-text fields (`message`, `body`, `comment`, a rubric's `comments`, a file's `filename`):
   * `'redact-emails'` replaces email addresses
   * by `[EMAIL]` (names and phone numbers are not caught), `'redact-all'` replaces the whole
   * text by `[REDACTED]`, `'keep'` leaves it. @defaultValue 'redact-emails'
   */
  freeText?: FreeTextPolicy | undefined;
  /**
   * Pseudonyms remembered (about least-recently-used, ~120 bytes each) so that an identifier
   * seen again costs a lookup instead of an HMAC (a few µs). It only pays when identifiers come
   * back before it is full: to hit across a whole institution's courses, size it to about
   * 7 × the students synced (the default, about 24 MB when full, covers ~30,000 students).
   * 0 disables. @defaultValue 200000. Range: 0..1000000
   */
  cacheSize?: number | undefined;
  /**
   * Most levels of nested objects and arrays `sanitize()` accepts (`{}` and `[]` are one level,
   * `{"a":[{}]}` three); deeper input gets a `CanvasSanitizeError` with reason `'too-deep'`
   * instead of a stack overflow. Canvas responses nest fewer than 10 levels.
   * @defaultValue 100. Range: 1..1000
   */
  maxDepth?: number | undefined;
}

/** Default of {@link FerpaSanitizerOptions.maxDepth}. */
export const DEFAULT_MAX_DEPTH = 100;

const actionSchema = z.enum(piiActions);
const fieldName = z.string().min(1).max(200);

const optionsSchema = z
  .strictObject({
    key: z
      .union([z.string(), z.instanceof(Uint8Array)], {
        error: 'Must be a string or a Uint8Array',
      })
      .superRefine((key, ctx) => {
        const bytes = keyBytes(key).length;
        if (bytes < MIN_KEY_BYTES) {
          ctx.addIssue({
            code: 'custom',
            message: `Must be at least ${MIN_KEY_BYTES} bytes (got ${bytes}); generate one with crypto.randomBytes(32)`,
          });
        }
      })
      .optional(),
    keyId: z
      .string()
      .regex(KEY_ID_PATTERN, { error: 'Must be 1 to 32 characters from A-Z a-z 0-9 -' })
      .optional(),
    mode: z.enum(['denylist', 'allowlist']).optional(),
    fields: z.record(fieldName, actionSchema).optional(),
    allow: z.array(fieldName).optional(),
    pseudonymizeCanvasIds: z.boolean().optional(),
    freeText: z.enum(['redact-emails', 'redact-all', 'keep']).optional(),
    cacheSize: z.number().int().min(0).max(1_000_000).optional(),
    maxDepth: z.number().int().min(1).max(1000).optional(),
  })
  .superRefine((options, ctx) => {
    if (options.key === undefined && options.keyId !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['keyId'], message: 'Given without a key' });
    }
    if (options.allow !== undefined && options.mode !== 'allowlist') {
      ctx.addIssue({
        code: 'custom',
        path: ['allow'],
        message: "Only used with mode: 'allowlist'",
      });
    }
    const seen = new Map<string, PiiAction>();
    for (const [name, action] of Object.entries(options.fields ?? {})) {
      const normalized = normalizeFieldName(name);
      const earlier = seen.get(normalized);
      if (earlier !== undefined && earlier !== action) {
        ctx.addIssue({
          code: 'custom',
          path: ['fields', name],
          message: 'Another spelling of this field name has a different action',
        });
      }
      seen.set(normalized, action);
    }
  });

/** The validated options, defaults applied. */
export interface ResolvedSanitizerOptions {
  readonly key: Buffer | undefined;
  readonly keyId: string | undefined;
  readonly mode: 'denylist' | 'allowlist';
  readonly fields: Readonly<Record<string, PiiAction>>;
  readonly allow: ReadonlySet<string>;
  readonly pseudonymizeCanvasIds: boolean;
  readonly freeText: FreeTextPolicy;
  readonly cacheSize: number;
  readonly maxDepth: number;
}

const WHAT = 'FerpaSanitizer options';

/** Validates options; throws a {@link CanvasOptionsError} that never quotes a value. */
export function resolveSanitizerOptions(options: unknown): ResolvedSanitizerOptions {
  const parsed = optionsSchema.safeParse(options ?? {});
  if (!parsed.success) throw CanvasOptionsError.fromZod(parsed.error, WHAT);
  const o = parsed.data;
  return {
    key: o.key === undefined ? undefined : keyBytes(o.key),
    keyId: o.keyId,
    mode: o.mode ?? 'denylist',
    fields: o.fields ?? {},
    allow: new Set(o.allow ?? []),
    pseudonymizeCanvasIds: o.pseudonymizeCanvasIds ?? false,
    freeText: o.freeText ?? 'redact-emails',
    cacheSize: o.cacheSize ?? 200_000,
    maxDepth: o.maxDepth ?? DEFAULT_MAX_DEPTH,
  };
}

/** The actions of one field name: in person objects and elsewhere. */
export interface FieldRule {
  /** The name as the catalog or the options spell it (for messages). */
  readonly field: string;
  /** In a person object (see `personObjectKeys`, `personMarkerFields`). */
  readonly inPerson: PiiAction;
  /** Elsewhere. */
  readonly outside: PiiAction;
  /** Its object values are person objects. */
  readonly holdsPerson: boolean;
  /** It marks its object as a person object (`personMarkerFields`). */
  readonly marker: boolean;
}

/**
 * One rule per normalized field name the policy knows; `unlisted` for every other field, or
 * `unlistedUrl` for one whose name ends in `url`.
 */
export interface Policy {
  readonly rules: ReadonlyMap<string, FieldRule>;
  readonly unlisted: PiiAction;
  readonly unlistedUrl: PiiAction;
}

function catalogRule(entry: PiiFieldEntry, o: ResolvedSanitizerOptions): [PiiAction, PiiAction] {
  let base = entry.defaultAction;
  if (base === 'redact-emails') {
    base = o.freeText === 'redact-all' ? 'redact' : o.freeText;
  }
  const elsewhere =
    o.pseudonymizeCanvasIds && entry.canvasIdAction !== undefined
      ? entry.canvasIdAction
      : entry.personOnly
        ? (entry.elsewhereAction ?? 'keep')
        : base;
  return [entry.personOnly ? base : elsewhere, elsewhere];
}

/** Builds the per-field policy from the catalog and the options. */
export function buildPolicy(o: ResolvedSanitizerOptions): Policy {
  const allowlist = o.mode === 'allowlist';
  const spelled = new Map<string, string>(); // normalized name -> first spelling seen
  const spellOne = (name: string): string => {
    const normalized = normalizeFieldName(name);
    if (!spelled.has(normalized)) spelled.set(normalized, name);
    return normalized;
  };
  const spell = (names: Iterable<string>): Set<string> => new Set([...names].map(spellOne));
  const catalog = new Map(piiCatalog.map((entry) => [normalizeFieldName(entry.field), entry]));
  spell(piiCatalog.map((entry) => entry.field));
  const holders = spell(personObjectKeys);
  const markers = spell(personMarkerFields);
  const allowed = spell(o.allow);
  const overrides = new Map<string, PiiAction>();
  for (const [name, action] of Object.entries(o.fields)) {
    overrides.set(spellOne(name), action);
  }
  const rules = new Map<string, FieldRule>();
  for (const [name, field] of spelled) {
    const override = overrides.get(name);
    let inPerson: PiiAction;
    let outside: PiiAction;
    if (override !== undefined) {
      inPerson = override;
      outside = override;
    } else {
      const entry = catalog.get(name);
      const unlisted: PiiAction = isUrlFieldName(name) ? 'scrub-url' : 'keep';
      [inPerson, outside] = entry === undefined ? [unlisted, unlisted] : catalogRule(entry, o);
      if (allowlist && !allowed.has(name)) {
        if (inPerson !== 'pseudonymize') inPerson = 'drop';
        if (outside !== 'pseudonymize') outside = 'drop';
      }
    }
    rules.set(name, {
      field,
      inPerson,
      outside,
      holdsPerson: holders.has(name),
      marker: markers.has(name),
    });
  }
  return {
    rules,
    unlisted: allowlist ? 'drop' : 'keep',
    unlistedUrl: allowlist ? 'drop' : 'scrub-url',
  };
}

/** Fields the policy pseudonymizes, for the "key required" error. */
export function pseudonymizedFields(policy: Policy): string[] {
  const out: string[] = [];
  for (const rule of policy.rules.values()) {
    if (rule.inPerson === 'pseudonymize' || rule.outside === 'pseudonymize') out.push(rule.field);
  }
  return out;
}

/** The error thrown when the policy pseudonymizes fields and no key was given. */
export function missingKeyError(fields: readonly string[]): CanvasOptionsError {
  const shown = fields.slice(0, 6).join(', ') + (fields.length > 6 ? ', …' : '');
  const issue: OptionsIssue = {
    path: 'key',
    message: `Required: the policy pseudonymizes ${shown}. Give a secret of at least ${MIN_KEY_BYTES} bytes (crypto.randomBytes(32)), or set those fields to another action in \`fields\``,
  };
  return new CanvasOptionsError({ what: WHAT, issues: [issue] });
}
