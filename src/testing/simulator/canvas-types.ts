/**
 * Shapes of the Canvas LMS REST API objects the simulator serves, with field names exactly as
 * Canvas returns them (snake_case). Ids are numbers (Canvas's default JSON; with
 * `Accept: application/json+canvas-string-ids` Canvas would send strings), timestamps are
 * ISO 8601 UTC strings such as `2026-09-01T14:03:00Z`.
 *
 * These describe what the simulator emits: a subset of each real object's fields, chosen to
 * include every field carrying personally identifiable information (PII).
 *
 * @module
 */

/**
 * An account (`GET /api/v1/accounts/:id`).
 * @category Testing
 */
export interface CanvasAccount {
  /** The account id. */
  id: number;
  /** Display name of the account (the institution, for a root account). */
  name: string;
  /** Canvas's 40-character opaque identifier of the account. */
  uuid: string;
  /**
   * Id of the parent account; `null` for a root account (the simulator serves only its root
   * account).
   */
  parent_account_id: number | null;
  /** Id of the root account above it; `null` when it is itself a root account. */
  root_account_id: number | null;
  /** `active`, or `deleted`. */
  workflow_state: 'active' | 'deleted';
  /** IANA time zone its courses and users get by default, e.g. `America/New_York`. */
  default_time_zone: string;
  /**
   * Its id in the Student Information System; `null` when it did not come from SIS. Canvas includes
   * it only for callers allowed to read SIS data.
   */
  sis_account_id: string | null;
  /** Secondary SIS identifier; `null` when unset. */
  integration_id: string | null;
  /**
   * Id of the SIS import that last created or updated it; `null` when none. Canvas includes it only
   * for callers allowed to manage SIS data.
   */
  sis_import_id: number | null;
  /** Its identifier in LTI launches, `<40 characters>:canvas-lms`. */
  lti_guid: string;
}

/**
 * An enrollment term (`GET /api/v1/accounts/:id/terms`, items of `enrollment_terms`).
 * @category Testing
 */
export interface CanvasTerm {
  /** The term id (courses point to it with `enrollment_term_id`). */
  id: number;
  /** Display name, e.g. `Fall 2025`. */
  name: string;
  /** When the term starts, ISO 8601 UTC; `null` when it has no start date. */
  start_at: string | null;
  /** When the term ends, ISO 8601 UTC; `null` when it has no end date. */
  end_at: string | null;
  /** When the term was created, ISO 8601 UTC. */
  created_at: string;
  /** `active`, or `deleted`. */
  workflow_state: 'active' | 'deleted';
  /**
   * Its id in the SIS (the simulator's look like `2025FA`); `null` when it did not come from SIS.
   */
  sis_term_id: string | null;
  /**
   * Id of the SIS import that last created or updated it; `null` when none. Canvas includes it only
   * for callers allowed to manage SIS data.
   */
  sis_import_id: number | null;
  /**
   * Id of the grading period set attached to the term; `null` when none (always in the simulator).
   */
  grading_period_group_id: number | null;
}

/**
 * A course (`GET /api/v1/accounts/:id/courses`, `GET /api/v1/courses/:id`).
 * @category Testing
 */
export interface CanvasCourse {
  /** The course id. */
  id: number;
  /** Full name of the course (the requesting user's nickname for it, if they set one). */
  name: string;
  /** Short code shown in navigation, e.g. `BIO 214`. */
  course_code: string;
  /** Canvas's 40-character opaque identifier of the course. */
  uuid: string;
  /**
   * `unpublished`, `available` (published), `completed` (concluded) or `deleted`; always
   * `available` in the simulator.
   */
  workflow_state: 'unpublished' | 'available' | 'completed' | 'deleted';
  /** Id of the (sub-)account the course belongs to. */
  account_id: number;
  /** Id of the root account. */
  root_account_id: number;
  /** Id of its enrollment term ({@link CanvasTerm}). */
  enrollment_term_id: number;
  /**
   * Its id in the SIS; `null` when it did not come from SIS. Canvas includes it only for callers
   * allowed to read SIS data.
   */
  sis_course_id: string | null;
  /**
   * Secondary SIS identifier; `null` when unset. Canvas includes it only for callers allowed to
   * read SIS data.
   */
  integration_id: string | null;
  /**
   * Id of the SIS import that last created or updated it; `null` when none. Canvas includes it only
   * for callers allowed to manage SIS data.
   */
  sis_import_id: number | null;
  /**
   * When the course starts, ISO 8601 UTC; `null` when unset (the term's dates apply). The simulator
   * uses its term's dates.
   */
  start_at: string | null;
  /** When the course ends, ISO 8601 UTC; `null` when unset (the term's dates apply). */
  end_at: string | null;
  /** When the course was created, ISO 8601 UTC. */
  created_at: string;
  /**
   * What users see first: `feed` (recent activity), `wiki` (front page), `modules`, `assignments`
   * or `syllabus`.
   */
  default_view: 'feed' | 'wiki' | 'modules' | 'assignments' | 'syllabus';
  /** Whether anyone can see the course without logging in. */
  is_public: boolean;
  /** Whether anyone can see the syllabus without logging in. */
  public_syllabus: boolean;
  /** Content license code: `private` (the default), `cc_by`, `public_domain`, … */
  license: string;
  /** IANA time zone of the course, e.g. `America/New_York`. */
  time_zone: string;
  /** How it is taught: `on_campus`, `online` or `blended`. */
  course_format: 'on_campus' | 'online' | 'blended';
  /**
   * Number of active and invited students. Canvas sends it only with `include[]=total_students`;
   * the simulator always sends it, counting every student enrollment (inactive ones too).
   */
  total_students: number;
  /**
   * Id of the grading scheme that turns scores into letter grades; `null` for Canvas's default
   * (always in the simulator).
   */
  grading_standard_id: number | null;
  /** Whether the final grade weighs assignment groups by their percentages. */
  apply_assignment_group_weights: boolean;
  /** Whether course totals are hidden from students in their grades summary. */
  hide_final_grades: boolean;
  /**
   * Whether users can take part only between the course's `start_at` and `end_at` (else the term's
   * dates apply).
   */
  restrict_enrollments_to_course_dates: boolean;
  /** Whether it is a Blueprint course, whose content is synced to associated courses. */
  blueprint: boolean;
}

/**
 * A course section (`GET /api/v1/courses/:id/sections`).
 * @category Testing
 */
export interface CanvasSection {
  /** The section id. */
  id: number;
  /** Display name, e.g. `BIO 214 Section 01`. */
  name: string;
  /** Id of the course it belongs to (the one it is cross-listed into, if it is). */
  course_id: number;
  /**
   * Its id in the SIS; `null` when it did not come from SIS. Canvas includes it only for callers
   * allowed to read SIS data.
   */
  sis_section_id: string | null;
  /** SIS id of its course; `null` when the course has none. */
  sis_course_id: string | null;
  /** Secondary SIS identifier; `null` when unset. */
  integration_id: string | null;
  /**
   * Id of the SIS import that last created or updated it; `null` when none. Canvas includes it only
   * for callers allowed to manage SIS data.
   */
  sis_import_id: number | null;
  /**
   * Id of its original course when it is cross-listed into another; `null` otherwise (always in the
   * simulator).
   */
  nonxlist_course_id: number | null;
  /** When the section starts, ISO 8601 UTC; `null` when unset (the course's dates apply). */
  start_at: string | null;
  /** When the section ends, ISO 8601 UTC; `null` when unset (the course's dates apply). */
  end_at: string | null;
  /** When the section was created, ISO 8601 UTC. */
  created_at: string;
  /** Whether its users can take part only between the section's `start_at` and `end_at`. */
  restrict_enrollments_to_section_dates: boolean;
  /**
   * Number of active and invited students in the section. Canvas sends it only with
   * `include[]=total_students`; the simulator always does.
   */
  total_students: number;
}

/**
 * A user (`GET /api/v1/courses/:id/users`, `GET /api/v1/users/:id`), with all its PII fields.
 * @category Testing
 */
export interface CanvasUser {
  /** The user id (a Canvas id: linkable to the person). */
  id: number;
  /** Full name. PII. */
  name: string;
  /** Name for sorting, `Last, First`. PII. */
  sortable_name: string;
  /**
   * Shorter display name the user may choose (the `display_name` of {@link CanvasUserDisplay}).
   * PII.
   */
  short_name: string;
  /** Given name. PII. */
  first_name: string;
  /** Family name. PII. */
  last_name: string;
  /**
   * Student or staff number from the SIS; `null` when the user did not come from SIS. Canvas
   * includes it only for callers allowed to read SIS data. PII (low entropy: enumerable).
   */
  sis_user_id: string | null;
  /** Secondary SIS identifier; `null` when unset. PII. */
  integration_id: string | null;
  /**
   * Id of the SIS import that last created or updated it; `null` when none. Canvas includes it only
   * for callers allowed to manage SIS data.
   */
  sis_import_id: number | null;
  /** The login the user signs in with (often made of their name or email). PII. */
  login_id: string;
  /**
   * Primary email address; `null` when the user has none. Canvas sends it only to callers allowed
   * to see it. PII.
   */
  email: string | null;
  /** URL of the profile picture (possibly a photo of the student). PII. */
  avatar_url: string;
  /**
   * Pronouns the user chose; `null` when unset (or when the account has pronouns turned off). PII.
   */
  pronouns: string | null;
  /** Free text the user wrote about themselves; `null` when unset. PII. */
  bio: string | null;
  /** Profile title (e.g. a job title); `null` when unset. PII. */
  title: string | null;
  /** Locale the user chose, RFC 5646 (e.g. `en`, `fr-CA`); `null` when unset. */
  locale: string | null;
  /** Locale in effect: the user's own, else the account's default. */
  effective_locale: string;
  /** IANA name of the user's preferred time zone. */
  time_zone: string;
  /** When the user last logged in, ISO 8601 UTC; `null` if never. PII (activity). */
  last_login: string | null;
  /** The id LTI 1.3 tools see for this user (a UUID): links the person across every tool. PII. */
  lti_id: string;
  /**
   * Canvas's 40-character opaque identifier of the user (Canvas sends it with `include[]=uuid`).
   * PII.
   */
  uuid: string;
  /**
   * The uuid the user had before a user merge, when it differs from `uuid`; `null` otherwise. The
   * simulator always sends one. PII.
   */
  past_uuid: string | null;
  /** When the user was created, ISO 8601 UTC. */
  created_at: string;
}

/**
 * The abbreviated user Canvas nests as `author` / `user` in comments and discussions.
 * @category Testing
 */
export interface CanvasUserDisplay {
  /** The user id. */
  id: number;
  /** The user id in base 36 (`(1234).toString(36)`): reversible, not anonymous. PII. */
  anonymous_id: string;
  /** The `short_name` of the user. PII. */
  display_name: string;
  /** URL of the profile picture. PII. */
  avatar_image_url: string;
  /**
   * URL of the user's page in the course (or of their profile, outside a course); embeds the user
   * id.
   */
  html_url: string;
  /** Pronouns the user chose; `null` when unset. PII. */
  pronouns: string | null;
}

/**
 * An enrollment's grades (students only). Scores are percentages.
 * @category Testing
 */
export interface CanvasGrades {
  /** URL of the student's grades page in the course; embeds the user id. */
  html_url: string;
  /**
   * Current score in percent, over graded assignments only; `null` when nothing is graded yet.
   * Student record.
   */
  current_score: number | null;
  /**
   * Final score in percent, counting ungraded assignments as 0; `null` when unavailable. Student
   * record.
   */
  final_score: number | null;
  /**
   * Letter grade of `current_score` under the course's grading scheme; `null` without one (the
   * simulator always gives a US letter grade). Student record.
   */
  current_grade: string | null;
  /** Letter grade of `final_score`, likewise. Student record. */
  final_grade: string | null;
  /**
   * Like `current_score`, counting grades not yet posted to the student too; only for callers
   * allowed to see them (teachers, TAs, admins). Student record.
   */
  unposted_current_score: number | null;
  /**
   * Like `final_score`, counting grades not yet posted to the student too; only for callers allowed
   * to see them. Student record.
   */
  unposted_final_score: number | null;
}

/**
 * The base enrollment types the simulator produces.
 * @category Testing
 */
export type CanvasEnrollmentType = 'StudentEnrollment' | 'TeacherEnrollment' | 'TaEnrollment';

/**
 * An enrollment (`GET /api/v1/courses/:id/enrollments`), always with the nested `user`.
 * @category Testing
 */
export interface CanvasEnrollment {
  /** The enrollment id. */
  id: number;
  /** Id of the enrolled user. */
  user_id: number;
  /** Id of the course. */
  course_id: number;
  /** Id of the section the user is enrolled in. */
  course_section_id: number;
  /** Id of the root account. */
  root_account_id: number;
  /** Base enrollment type (Canvas also has `DesignerEnrollment` and `ObserverEnrollment`). */
  type: CanvasEnrollmentType;
  /**
   * `active`, `invited`, `inactive`, `completed`, `rejected` or `deleted` (Canvas also has
   * `creation_pending`); the simulator makes `active`, `inactive` and `invited` ones.
   */
  enrollment_state: 'active' | 'invited' | 'inactive' | 'completed' | 'rejected' | 'deleted';
  /**
   * Name of its role: the same as `type` unless the role is a custom one (never in the simulator).
   */
  role: string;
  /** Id of its role (the simulator: 3 student, 4 teacher, 5 TA). */
  role_id: number;
  /** Whether the user can see and interact only with users of their own section. */
  limit_privileges_to_course_section: boolean;
  /**
   * Id of the observed student for an `ObserverEnrollment`; `null` otherwise (always in the
   * simulator).
   */
  associated_user_id: number | null;
  /**
   * SIS id of the user; `null` when they have none. Canvas includes it only for callers allowed to
   * read SIS data. PII.
   */
  sis_user_id: string | null;
  /** SIS id of the course; `null` when it has none. */
  sis_course_id: string | null;
  /** SIS id of the section; `null` when it has none. */
  sis_section_id: string | null;
  /** SIS id of the course's account; `null` when it has none. */
  sis_account_id: string | null;
  /**
   * Id of the SIS import that last created or updated it; `null` when none. Canvas includes it only
   * for callers allowed to manage SIS data.
   */
  sis_import_id: number | null;
  /** Integration id of the course; `null` when unset. */
  course_integration_id: string | null;
  /** Integration id of the section; `null` when unset. */
  section_integration_id: string | null;
  /** When the enrollment was created, ISO 8601 UTC. */
  created_at: string;
  /** When the enrollment last changed, ISO 8601 UTC. */
  updated_at: string;
  /**
   * Start of this enrollment's own participation dates, ISO 8601 UTC; `null` when the section's,
   * course's or term's apply (always in the simulator).
   */
  start_at: string | null;
  /**
   * End of this enrollment's own participation dates, ISO 8601 UTC; `null` likewise (always in the
   * simulator).
   */
  end_at: string | null;
  /**
   * When the user was last active in the course, ISO 8601 UTC; `null` if never (the simulator: for
   * invited enrollments). PII (activity).
   */
  last_activity_at: string | null;
  /**
   * Last date the student attended, as recorded by an attendance tool, ISO 8601 UTC; `null` when
   * none. PII (activity).
   */
  last_attended_at: string | null;
  /** Total time the user has been active in the course, in seconds. PII (activity). */
  total_activity_time: number;
  /** URL of the user's page in the course; embeds the user id. */
  html_url: string;
  /** Present on student enrollments only. */
  grades?: CanvasGrades;
  /** The enrolled user, full record with every PII field. */
  user: CanvasUser;
}

/**
 * An assignment (`GET /api/v1/courses/:id/assignments`).
 * @category Testing
 */
export interface CanvasAssignment {
  /** The assignment id. */
  id: number;
  /** Title of the assignment. */
  name: string;
  /** Instructions, as an HTML fragment. */
  description: string;
  /** Id of the course. */
  course_id: number;
  /** Id of the assignment group it belongs to. */
  assignment_group_id: number;
  /** Order within its assignment group, from 1. */
  position: number;
  /** When the assignment was created, ISO 8601 UTC. */
  created_at: string;
  /** When the assignment last changed, ISO 8601 UTC. */
  updated_at: string;
  /**
   * Due date, ISO 8601 UTC; `null` when none. With overrides, Canvas gives the date that applies to
   * the requesting user.
   */
  due_at: string | null;
  /** From when students can open and submit it, ISO 8601 UTC; `null` when always. */
  unlock_at: string | null;
  /** After when students can no longer submit, ISO 8601 UTC; `null` when never. */
  lock_at: string | null;
  /** Maximum score, in points. */
  points_possible: number;
  /**
   * How scores are shown as grades: points, percent, letter grade, complete/incomplete, GPA scale,
   * or not graded.
   */
  grading_type: 'points' | 'percent' | 'letter_grade' | 'pass_fail' | 'gpa_scale' | 'not_graded';
  /**
   * Accepted submission types: `online_text_entry`, `online_upload`, `online_url`, `on_paper`,
   * `external_tool`, `none`, …
   */
  submission_types: string[];
  /** How many times a student may submit; -1 for unlimited (always in the simulator). */
  allowed_attempts: number;
  /** Whether students can see it. */
  published: boolean;
  /**
   * Whether grades are hidden from students (deprecated in Canvas: post policies replaced muting).
   */
  muted: boolean;
  /** Whether it is left out of the final grade. */
  omit_from_final_grade: boolean;
  /**
   * Whether at least one student has submitted (the simulator: whenever the course has students).
   */
  has_submitted_submissions: boolean;
  /** URL of the assignment's page in Canvas. */
  html_url: string;
  /** URL that downloads every submission as a zip file. */
  submissions_download_url: string;
}

/**
 * A comment on a submission (`include[]=submission_comments`).
 * @category Testing
 */
export interface CanvasSubmissionComment {
  /** The comment id. */
  id: number;
  /** Id of the author (the grader or the student). */
  author_id: number;
  /** The author's display name. PII. */
  author_name: string;
  /** The comment text: free text, may say anything about the student. PII. */
  comment: string;
  /** When the comment was made, ISO 8601 UTC. */
  created_at: string;
  /** When it was last edited, ISO 8601 UTC; `null` if never (always in the simulator). */
  edited_at: string | null;
  /** The author, in display form. PII. */
  author: CanvasUserDisplay;
}

/**
 * A submission (`GET /api/v1/courses/:id/assignments/:id/submissions`, `.../students/submissions`).
 * @category Testing
 */
export interface CanvasSubmission {
  /** The submission id. */
  id: number;
  /** Id of the assignment. */
  assignment_id: number;
  /** Id of the student it belongs to. */
  user_id: number;
  /**
   * Id of whoever graded it; `null` while ungraded; negative for automatic graders (minus the quiz
   * id for a quiz, minus the tool id for an LTI tool).
   */
  grader_id: number | null;
  /** Score in points, after late/missing deductions; `null` while ungraded. Student record. */
  score: number | null;
  /**
   * The score as the assignment's `grading_type` shows it (`'8.5'`, `'85%'`, `'B'`, `'complete'`);
   * `null` while ungraded. Student record.
   */
  grade: string | null;
  /**
   * Score as the grader entered it, before late/missing deductions (`score + points_deducted`);
   * `null` while ungraded. Student record.
   */
  entered_score: number | null;
  /**
   * `entered_score` as a grade; `null` while ungraded. The simulator sends `grade` (after
   * deduction) here. Student record.
   */
  entered_grade: string | null;
  /**
   * HTML of an `online_text_entry` submission; `null` for other types. Written by the student. PII
   * (free text).
   */
  body: string | null;
  /** The submitted link of an `online_url` submission; `null` otherwise. PII. */
  url: string | null;
  /** URL of the submission's preview page (requires a login); embeds the user id. */
  preview_url: string;
  /** When the student last submitted, ISO 8601 UTC; `null` when never. */
  submitted_at: string | null;
  /** When it was last graded, ISO 8601 UTC; `null` while ungraded. */
  graded_at: string | null;
  /**
   * When its grade was posted (made visible) to the student, ISO 8601 UTC; `null` while not posted.
   * The simulator posts on grading (`graded_at`).
   */
  posted_at: string | null;
  /** Whether it was submitted after the due date. */
  late: boolean;
  /** Whether it is missing (past due and not submitted). */
  missing: boolean;
  /**
   * Whether the student is excused from it (it then does not count towards the grade); `null` when
   * never set (the simulator always sends a boolean).
   */
  excused: boolean | null;
  /**
   * Status a teacher set by hand, overriding the computed one; `null` when none (always in the
   * simulator).
   */
  late_policy_status: 'late' | 'missing' | 'extended' | 'none' | null;
  /**
   * How late it was submitted, in seconds; 0 when on time. The simulator draws it apart from
   * `submitted_at`, so it need not equal `submitted_at - due_at`.
   */
  seconds_late: number;
  /** Points the late/missing policy took off; `null` when none. */
  points_deducted: number | null;
  /** Number of the latest attempt, from 1; `null` when never submitted. */
  attempt: number | null;
  /**
   * `submitted` (awaiting grading), `unsubmitted`, `graded` or `pending_review`; the simulator's
   * excused submissions are `graded`.
   */
  workflow_state: 'submitted' | 'unsubmitted' | 'graded' | 'pending_review';
  /**
   * Type of the latest submission (one of the assignment's `submission_types`); `null` when never
   * submitted.
   */
  submission_type: string | null;
  /** False when the student resubmitted after it was graded (always true in the simulator). */
  grade_matches_current_submission: boolean;
  /** Present with `include[]=user`. */
  user?: CanvasUser;
  /** Present with `include[]=submission_comments`. */
  submission_comments?: CanvasSubmissionComment[];
}

/**
 * A discussion topic (`GET /api/v1/courses/:id/discussion_topics`).
 * @category Testing
 */
export interface CanvasDiscussionTopic {
  /** The topic id. */
  id: number;
  /** Title of the topic. */
  title: string;
  /** The opening post, HTML. */
  message: string;
  /** URL of the topic's page in Canvas. */
  html_url: string;
  /** When it was posted, ISO 8601 UTC (Canvas: `null` while a delayed post waits). */
  posted_at: string;
  /** When it was created, ISO 8601 UTC. */
  created_at: string;
  /** When the latest entry or reply was posted, ISO 8601 UTC; `null` when none. */
  last_reply_at: string | null;
  /** Whether students must post before they can see the others' entries. */
  require_initial_post: boolean;
  /** Number of entries in the topic, replies included. */
  discussion_subentry_count: number;
  /** Whether the requesting user has read the opening post (always `read` in the simulator). */
  read_state: 'read' | 'unread';
  /** Number of entries the requesting user has not read. */
  unread_count: number;
  /** Id of the assignment when the topic is graded; `null` otherwise (always in the simulator). */
  assignment_id: number | null;
  /** Whether students can see it (`false`: a draft). */
  published: boolean;
  /** Whether it is closed for comments. */
  locked: boolean;
  /** Whether an instructor pinned it (the simulator pins each course's first topic). */
  pinned: boolean;
  /**
   * Sort position among the course's topics (Canvas orders pinned topics by it); from 1 in the
   * simulator.
   */
  position: number;
  /**
   * `threaded` (replies at any depth), or `side_comment` / `not_threaded` (one level of replies);
   * always `threaded` in the simulator.
   */
  discussion_type: 'side_comment' | 'threaded' | 'not_threaded';
  /** The author's name. PII. */
  user_name: string;
  /** The author, in display form. PII. */
  author: CanvasUserDisplay;
}

/**
 * A discussion entry (`GET /api/v1/courses/:id/discussion_topics/:id/entries`). Canvas lists a
 * topic's top-level entries newest first; the simulator lists them oldest first (ascending id).
 * @category Testing
 */
export interface CanvasDiscussionEntry {
  /** The entry id. */
  id: number;
  /** Id of the author. */
  user_id: number;
  /** The author's name. PII. */
  user_name: string;
  /** HTML; sometimes quotes other students by name and email. */
  message: string;
  /** When it was posted, ISO 8601 UTC. */
  created_at: string;
  /** When it was last edited, ISO 8601 UTC (`created_at` if never). */
  updated_at: string;
  /**
   * Id of whoever last edited it, if not the author; `null` when unedited. The simulator sets the
   * author's id on its edited entries.
   */
  editor_id: number | null;
  /** Id of the entry it replies to; `null` for a top-level entry. */
  parent_id: number | null;
  /** Whether the requesting user has read it. */
  read_state: 'read' | 'unread';
  /** Number of likes; `null` when none or when liking is off (always in the simulator). */
  rating_count: number | null;
  /** Sum of the ratings (likes); `null` likewise. */
  rating_sum: number | null;
  /** The author, in display form. PII. */
  user: CanvasUserDisplay;
  /** Present on top-level entries that have replies (newest first). */
  recent_replies?: CanvasDiscussionEntry[];
  /**
   * Whether it has more replies than `recent_replies` holds (Canvas sends at most 10); always
   * `false` in the simulator.
   */
  has_more_replies: boolean;
}

/**
 * The `links` of a page view (all ids).
 * @category Testing
 */
export interface CanvasPageViewLinks {
  /** Id of the user whose page view it is. */
  user: number;
  /**
   * Id of the context: the course id when `context_type` is `Course`, and so on; `null` when none.
   */
  context: number | null;
  /** Id of the asset viewed (`asset_type`); `null` when none. */
  asset: number | null;
  /**
   * Id of the user who made the request while masquerading as `user`; `null` otherwise (always in
   * the simulator). PII.
   */
  real_user: number | null;
  /** Id of the account of the view's context. */
  account: number;
}

/**
 * A page view (`GET /api/v1/users/:id/page_views`). Its id is a uuid-like string. Canvas lists a
 * user's page views newest first; the simulator lists them oldest first.
 * @category Testing
 */
export interface CanvasPageView {
  /**
   * Canvas's id of the request (a UUID); the simulator's are uuid-like and ascend with each user's
   * views (the generated ones start with their time slot, those added by `change()` with `f`).
   */
  id: string;
  /** The URL requested (its query may identify the student). PII. */
  url: string;
  /** Type of the context of the request; its id is `links.context`. */
  context_type: 'Course' | 'Account' | 'User';
  /** Type of the asset viewed (`Assignment`, `DiscussionTopic`, …); `null` when none. */
  asset_type: string | null;
  /** The Rails controller that handled the request, e.g. `assignments`. */
  controller: string;
  /** The Rails action that handled the request, e.g. `show`. */
  action: string;
  /**
   * About how long the user spent on the page, in seconds (Canvas starts it at 5 and caps it at
   * 600). The simulator draws 1 to 900, or `null` one time in ten. PII (activity).
   */
  interaction_seconds: number | null;
  /** When the request was made, ISO 8601 UTC. */
  created_at: string;
  /**
   * When the record last changed (Canvas adds interaction time after the request), ISO 8601 UTC;
   * `created_at` in the simulator.
   */
  updated_at: string;
  /** User-Agent of the browser or app: a device fingerprint. PII. */
  user_agent: string;
  /** IP address the request came from. PII. */
  remote_ip: string;
  /** HTTP method of the request (lower case in the simulator). */
  http_method: 'get' | 'post' | 'put' | 'delete';
  /** How long Canvas took to render the response, in seconds. */
  render_time: number;
  /** Whether the request counted as participation (such as submitting or posting). */
  participated: boolean;
  /** Deprecated; always `false`. */
  contributed: boolean;
  /** Whether analytics has rolled the view up into its summaries; `null` in the simulator. */
  summarized: boolean | null;
  /** Name of the API client (developer key) that made the request; `null` for the web interface. */
  app_name: string | null;
  /** Ids of the user, context, asset, masquerading user and account of the view. */
  links: CanvasPageViewLinks;
}

/**
 * Per-assignment timeliness counts of one student in a course.
 * @category Testing
 */
export interface CanvasTardinessBreakdown {
  /** Number of assignments counted (all the course's assignments in the simulator). */
  total: number;
  /** Submitted on time. */
  on_time: number;
  /** Submitted late. */
  late: number;
  /** Missing: past due and not submitted. */
  missing: number;
  /**
   * Neither submitted nor missing yet: not yet due, no due date, or excused (the simulator counts
   * its excused submissions here).
   */
  floating: number;
}

/**
 * A course analytics student summary (`GET /api/v1/courses/:id/analytics/student_summaries`).
 * Canvas lists them by student name; the simulator by ascending user id.
 * @category Testing
 */
export interface CanvasStudentSummary {
  /** The student's user id. */
  id: number;
  /** The student's page views in the course. */
  page_views: number;
  /** Most page views of any student in the course (the same in every summary). */
  max_page_views: number;
  /**
   * Activity level of `page_views`, 0 to 3. Canvas: 0 for none, then 1 to 3 by the course's
   * quartiles; the simulator: 1 to 3 by thirds of `max_page_views`.
   */
  page_views_level: number;
  /** The student's participations in the course (submissions, posts, …). */
  participations: number;
  /** Most participations of any student in the course (the same in every summary). */
  max_participations: number;
  /** Activity level of `participations`, 0 to 3, as for `page_views_level`. */
  participations_level: number;
  /** How the student's assignments stand: on time, late, missing, not yet due. */
  tardiness_breakdown: CanvasTardinessBreakdown;
}
