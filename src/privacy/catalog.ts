/**
 * The catalog of Canvas fields that carry student data (FERPA "education records" and
 * "personally identifiable information"), kept as data: one row per field name, saying which
 * Canvas objects carry it, what kind of data it is and what {@link FerpaSanitizer} does with it by
 * default. {@link renderPiiCatalogMarkdown} turns it into the README table.
 *
 * Canvas reuses field names across objects (`name` is a student's name in a User and a course's
 * name in a Course), and a sanitizer that walks arbitrary JSON only sees field names. Three
 * rules make the catalog work on names alone:
 *
 * - Most fields are PII wherever they occur (`sortable_name`, `email`, `sis_user_id`, …) and are
 *   treated in every object.
 * - A few (`name`, `title`, `html_url`: {@link PiiFieldEntry.personOnly}) are PII only in a
 *   *person object*: an object held by one of {@link personObjectKeys} (`user`, `author`, …) or
 *   having one of {@link personMarkerFields} (`sortable_name`, `login_id`, `display_name`, …).
 *   Elsewhere (a course's `name`, a topic's `title`) they are kept, or treated by
 *   {@link PiiFieldEntry.elsewhereAction} (a topic's `html_url` is scrubbed).
 * - Canvas's own numeric ids (category `canvas-id`) are kept by default, and pseudonymized (URLs
 *   embedding them dropped) with `pseudonymizeCanvasIds: true`.
 *
 * Field names match case- and separator-insensitively (`sisUserId`, `SIS_USER_ID`, `Sis User Id`
 * all mean `sis_user_id`), and a field the catalog does not list whose name ends in `url`
 * (`download_url`, `thumbnailUrl`) is scrubbed like `url` (action `scrub-url`).
 *
 * @module
 */

/**
 * What a sanitizer does with a field's value: `pseudonymize` (keyed HMAC pseudonym), `redact`
 * (`[REDACTED]`), `drop` (the field is removed), `keep`, `redact-emails` (email addresses in the
 * text become `[EMAIL]`), `scrub-url` (emails, `sis_…:`/`lti_…:` ids and identifying query
 * parameters such as `login_id=` in a URL are redacted; the rest of the URL is kept).
 * @category Privacy
 */
export type PiiAction = 'pseudonymize' | 'redact' | 'drop' | 'keep' | 'redact-emails' | 'scrub-url';

/** Every {@link PiiAction}, in the order the docs list them. */
export const piiActions = [
  'pseudonymize',
  'redact',
  'drop',
  'keep',
  'redact-emails',
  'scrub-url',
] as const satisfies readonly PiiAction[];

/**
 * The kind of personal data a field holds.
 * @category Privacy
 */
export type PiiCategory =
  | 'identifier'
  | 'name'
  | 'contact'
  | 'profile'
  | 'network'
  | 'free-text'
  | 'canvas-id';

/**
 * The Canvas objects the catalog describes (see `canvas-api-facts.md` §6).
 * @category Privacy
 */
export type PiiObjectType =
  | 'User'
  | 'UserDisplay'
  | 'Enrollment'
  | 'Submission'
  | 'SubmissionComment'
  | 'DiscussionEntry'
  | 'PageView'
  | 'StudentSummary'
  | 'Login'
  | 'Profile'
  | 'Conversation'
  | 'RubricAssessment'
  | 'Attachment'
  | 'CommunicationChannel';

/**
 * One PII-bearing field of the catalog.
 * @category Privacy
 */
export interface PiiFieldEntry {
  /** The field name as Canvas sends it (snake_case); other spellings match too (see module doc). */
  readonly field: string;
  /** The objects that carry it. Nested objects (`user`, `author`, replies) are objects too. */
  readonly objectTypes: readonly PiiObjectType[];
  /** The kind of data. */
  readonly category: PiiCategory;
  /** What the default policy does with it (in a person object, for `personOnly` fields). */
  readonly defaultAction: PiiAction;
  /** What happens instead with `pseudonymizeCanvasIds: true` (category `canvas-id` only). */
  readonly canvasIdAction?: PiiAction;
  /** PII only inside a person object; kept as is elsewhere (a course's `name`). */
  readonly personOnly?: boolean;
  /**
   * For `personOnly` fields: the action outside person objects (a topic's `html_url` is
   * scrubbed, not kept). @defaultValue 'keep'
   */
  readonly elsewhereAction?: PiiAction;
  /** Why, and what is not covered. */
  readonly note: string;
}

const USERS = ['User', 'UserDisplay'] as const;
const PROFILES = ['User', 'Profile'] as const;

/**
 * The catalog: every PII-bearing field Canvas returns in the objects the library syncs, with the
 * default action of {@link FerpaSanitizer}. Read-only data; the sanitizer builds its lookup table
 * from it once, at construction.
 * @category Privacy
 */
export const piiCatalog: readonly PiiFieldEntry[] = Object.freeze(
  (
    [
      // Identifiers: stable, linkable, enumerable. Keyed HMAC pseudonyms keep them joinable.
      {
        field: 'sis_user_id',
        objectTypes: ['User', 'Enrollment', 'Login', 'Profile'],
        category: 'identifier',
        defaultAction: 'pseudonymize',
        note: 'Student number from the SIS; low entropy, so never hashed without a key.',
      },
      {
        field: 'sis_login_id',
        objectTypes: ['User'],
        category: 'identifier',
        defaultAction: 'pseudonymize',
        note: 'Older alias of `login_id`.',
      },
      {
        field: 'integration_id',
        objectTypes: ['User', 'Login'],
        category: 'identifier',
        defaultAction: 'pseudonymize',
        note: 'Secondary SIS id. Courses and sections also have one; pseudonymized there too.',
      },
      {
        field: 'login_id',
        objectTypes: PROFILES,
        category: 'identifier',
        defaultAction: 'pseudonymize',
        note: 'Campus login (often derived from the name or the email).',
      },
      {
        field: 'unique_id',
        objectTypes: ['Login'],
        category: 'identifier',
        defaultAction: 'pseudonymize',
        note: "The login name of a Login (the user's `login_id`).",
      },
      {
        field: 'lti_id',
        objectTypes: ['User'],
        category: 'identifier',
        defaultAction: 'pseudonymize',
        note: 'The id LTI tools see; links Canvas data to every external tool.',
      },
      {
        field: 'lti_user_id',
        objectTypes: PROFILES,
        category: 'identifier',
        defaultAction: 'pseudonymize',
        note: 'Legacy LTI 1.1 user id.',
      },
      {
        field: 'uuid',
        objectTypes: ['User'],
        category: 'identifier',
        defaultAction: 'pseudonymize',
        note: 'Global user uuid. Courses and accounts also have one; pseudonymized there too.',
      },
      {
        field: 'past_uuid',
        objectTypes: ['User'],
        category: 'identifier',
        defaultAction: 'pseudonymize',
        note: 'Previous uuid after a user merge.',
      },
      {
        field: 'anonymous_id',
        objectTypes: ['UserDisplay'],
        category: 'identifier',
        defaultAction: 'pseudonymize',
        note: 'Base-36 form of the user id: reversible, not anonymous.',
      },
      // Names: redacted, so that consumers that expect the field still find a string.
      {
        field: 'name',
        objectTypes: PROFILES,
        category: 'name',
        defaultAction: 'redact',
        personOnly: true,
        note: 'Full name. Only in person objects: a course or assignment `name` is kept.',
      },
      ...(
        [
          ['sortable_name', PROFILES, '"Last, First".'],
          ['short_name', PROFILES, 'Display name chosen by the user.'],
          ['first_name', ['User'], ''],
          ['last_name', ['User'], ''],
          [
            'display_name',
            ['UserDisplay', 'Attachment'],
            "Nested as `user` / `author`. Also a file's title (often the student's name): redacted too.",
          ],
          ['user_name', ['DiscussionEntry'], 'Author of an entry (also on discussion topics).'],
          ['author_name', ['SubmissionComment'], 'Author of a submission comment.'],
          ['full_name', ['Conversation'], 'Of a conversation participant.'],
          ['assessor_name', ['RubricAssessment'], 'Who filled in the rubric (may be a peer).'],
          ['pronunciation', ['Profile'], 'How the name is pronounced.'],
        ] as const
      ).map(
        ([field, objectTypes, note]): PiiFieldEntry => ({
          field,
          objectTypes,
          category: 'name',
          defaultAction: 'redact',
          note,
        }),
      ),
      // Contact, profile and network data: dropped, nothing downstream needs them.
      {
        field: 'email',
        objectTypes: ['User'],
        category: 'contact',
        defaultAction: 'drop',
        note: 'Primary email.',
      },
      {
        field: 'primary_email',
        objectTypes: ['Profile'],
        category: 'contact',
        defaultAction: 'drop',
        note: 'Primary email, in a profile.',
      },
      {
        field: 'address',
        objectTypes: ['CommunicationChannel'],
        category: 'contact',
        defaultAction: 'drop',
        note: 'Email address or phone number of a channel (its `type` is kept).',
      },
      {
        field: 'avatar_url',
        objectTypes: ['User', 'Profile', 'Conversation'],
        category: 'profile',
        defaultAction: 'drop',
        note: 'Profile picture (a photo of the student; the URL embeds the user id).',
      },
      {
        field: 'avatar_image_url',
        objectTypes: ['UserDisplay'],
        category: 'profile',
        defaultAction: 'drop',
        note: 'Same as `avatar_url`, in the display form.',
      },
      {
        field: 'bio',
        objectTypes: PROFILES,
        category: 'profile',
        defaultAction: 'drop',
        note: 'Free text the user wrote about themselves.',
      },
      {
        field: 'pronouns',
        objectTypes: USERS,
        category: 'profile',
        defaultAction: 'drop',
        note: '',
      },
      {
        field: 'title',
        objectTypes: PROFILES,
        category: 'profile',
        defaultAction: 'drop',
        personOnly: true,
        note: 'Profile title. Only in person objects: a discussion topic `title` is kept.',
      },
      {
        field: 'calendar',
        objectTypes: ['Profile'],
        category: 'profile',
        defaultAction: 'drop',
        note: '`{ ics }`: the private calendar feed of the user (a secret link).',
      },
      {
        field: 'html_url',
        objectTypes: ['UserDisplay', 'Enrollment'],
        category: 'profile',
        defaultAction: 'drop',
        elsewhereAction: 'scrub-url',
        canvasIdAction: 'drop',
        personOnly: true,
        note: 'Profile page of the user. Elsewhere scrubbed like `url`; dropped everywhere with `pseudonymizeCanvasIds` (it embeds ids).',
      },
      {
        field: 'remote_ip',
        objectTypes: ['PageView'],
        category: 'network',
        defaultAction: 'drop',
        note: 'IP address of the request.',
      },
      {
        field: 'user_agent',
        objectTypes: ['PageView'],
        category: 'network',
        defaultAction: 'drop',
        note: 'Browser fingerprint.',
      },
      // Free text written by students: emails inside it replaced by `[EMAIL]` (option `freeText`).
      {
        field: 'message',
        objectTypes: ['DiscussionEntry'],
        category: 'free-text',
        defaultAction: 'redact-emails',
        note: 'HTML; may quote classmates by name and email. Names are not caught.',
      },
      {
        field: 'body',
        objectTypes: ['Submission'],
        category: 'free-text',
        defaultAction: 'redact-emails',
        note: 'Text of an online-text submission.',
      },
      {
        field: 'comment',
        objectTypes: ['SubmissionComment'],
        category: 'free-text',
        defaultAction: 'redact-emails',
        note: 'Submission comment text.',
      },
      {
        field: 'comments',
        objectTypes: ['RubricAssessment'],
        category: 'free-text',
        defaultAction: 'redact-emails',
        note: 'Comment on one criterion (`rubric_assessment.<criterion>.comments`).',
      },
      {
        field: 'comments_html',
        objectTypes: ['RubricAssessment'],
        category: 'free-text',
        defaultAction: 'redact-emails',
        note: 'The same comment as HTML.',
      },
      {
        field: 'filename',
        objectTypes: ['Attachment'],
        category: 'free-text',
        defaultAction: 'redact-emails',
        note: 'File name as uploaded; a name in it is not caught.',
      },
      // Private messages: redacted whole, whatever `freeText` says.
      ...(
        [
          ['subject', 'Subject of a private conversation.'],
          ['last_message', 'Start of the latest message.'],
          ['last_authored_message', "Start of the user's own latest message."],
        ] as const
      ).map(
        ([field, note]): PiiFieldEntry => ({
          field,
          objectTypes: ['Conversation'],
          category: 'free-text',
          defaultAction: 'redact',
          note,
        }),
      ),
      // Canvas ids: internal to the institution's Canvas, kept unless asked otherwise.
      ...(
        [
          [
            'id',
            ['User', 'UserDisplay', 'StudentSummary'],
            'The user id in these objects; every object has one, all treated alike.',
          ],
          [
            'user_id',
            ['Enrollment', 'Submission', 'DiscussionEntry', 'Login', 'CommunicationChannel'],
            '',
          ],
          ['author_id', ['SubmissionComment'], ''],
          ['grader_id', ['Submission'], 'A staff member, or a negative id for auto-graders.'],
          ['editor_id', ['DiscussionEntry'], ''],
          ['associated_user_id', ['Enrollment'], 'The observed student of an observer enrollment.'],
          [
            'user',
            ['PageView', 'Enrollment', 'Submission', 'DiscussionEntry'],
            'A user id in `links`; elsewhere a nested person object, sanitized field by field.',
          ],
          ['real_user', ['PageView'], 'In `links`: the admin acting as the user.'],
          ['author', ['SubmissionComment'], 'Nested person object, sanitized field by field.'],
          ['assessor_id', ['RubricAssessment'], ''],
        ] as const
      ).map(
        ([field, objectTypes, note]): PiiFieldEntry => ({
          field,
          objectTypes,
          category: 'canvas-id',
          defaultAction: 'keep',
          canvasIdAction: 'pseudonymize',
          note,
        }),
      ),
      {
        field: 'preview_url',
        objectTypes: ['Submission', 'Attachment'],
        category: 'canvas-id',
        defaultAction: 'scrub-url',
        canvasIdAction: 'drop',
        note: 'Embeds the user id; scrubbed like `url`.',
      },
      {
        field: 'url',
        objectTypes: ['Submission', 'PageView', 'Attachment'],
        category: 'free-text',
        defaultAction: 'scrub-url',
        note: 'The URL a student submitted, the page viewed, a file\'s download link. Emails, `sis_…:`/`lti_…:` ids and the values of identifying query parameters (`login_id`, `email`, `verifier`, …) become `[EMAIL]` / `[REDACTED]`. Canvas ids and names written in a path are not caught; drop it with `fields: { url: "drop" }`.',
      },
    ] satisfies PiiFieldEntry[]
  ).map((entry) => Object.freeze(entry)),
);

/**
 * Keys whose object values (or arrays of objects) are person objects: `personOnly` fields in
 * them are treated. Canvas nests users as `user` (enrollments, submissions, entries),
 * `author` (comments, topics) and `participants` (conversations). Matched by any spelling.
 */
export const personObjectKeys: readonly string[] = Object.freeze([
  'user',
  'author',
  'users',
  'students',
  'participants',
  'recipients',
  'observer',
]);

/**
 * Fields only a person object has: an object with any of them (in any spelling) is a person
 * object.
 */
export const personMarkerFields: readonly string[] = Object.freeze([
  'sortable_name',
  'short_name',
  'display_name',
  'login_id',
  'sis_user_id',
  'email',
  'avatar_url',
  'avatar_image_url',
  'anonymous_id',
  'first_name',
  'last_name',
  'pronouns',
  'primary_email',
  'full_name',
]);

/**
 * Renders {@link piiCatalog} as a Markdown table (Field, Objects, Category, Default action,
 * Note), one row per field in catalog order, for the README.
 * @category Privacy
 */
export function renderPiiCatalogMarkdown(catalog: readonly PiiFieldEntry[] = piiCatalog): string {
  const rows = catalog.map((entry) => {
    let action = `\`${entry.defaultAction}\``;
    if (entry.personOnly) {
      action += ` in person objects, else \`${entry.elsewhereAction ?? 'keep'}\``;
    }
    const changes =
      entry.canvasIdAction !== undefined &&
      (entry.personOnly === true || entry.canvasIdAction !== entry.defaultAction);
    if (changes) {
      action += `; \`${entry.canvasIdAction}\`${entry.personOnly ? ' everywhere' : ''} with \`pseudonymizeCanvasIds\``;
    }
    return [
      `\`${entry.field}\``,
      entry.objectTypes.join(', '),
      entry.category,
      action,
      entry.note.replaceAll('|', '\\|'),
    ];
  });
  const line = (cells: readonly string[]): string => `| ${cells.join(' | ')} |`;
  return [
    line(['Field', 'Objects', 'Category', 'Default action', 'Note']),
    line(['---', '---', '---', '---', '---']),
    ...rows.map(line),
  ].join('\n');
}
