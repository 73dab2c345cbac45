/**
 * Records shaped like real Canvas responses (Login, Profile, Conversation, rubric assessments,
 * attachments, page views, communication channels), other spellings of catalog fields, and
 * unexpected shapes under PII fields, each carrying planted values that must not survive the
 * default sanitizer (issue 9). Every planted value is a distinct token (see `containsToken`).
 */

const EDU = 'students.example.edu';

/** Every planted value: none may appear in the sanitized records. */
export const PLANTED: readonly string[] = [
  'PLuniq01',
  'PLsis01',
  'PLint01',
  'Plantina Okafor',
  'Okafor, Plantina',
  'PLAN-tee-nah',
  `plantina.okafor@${EDU}`,
  'plokafor7',
  'PLfeed99',
  'PLlti01',
  'PLsubject Quiz regrade',
  'PLlast message body',
  'PLauthored body',
  'Plantino Fullname',
  `rubric.peer@${EDU}`,
  `file.owner@${EDU}`,
  'PLsis02',
  'PLlogin03',
  'PLsis04',
  'PLverifier05',
  `channel.addr@${EDU}`,
  'PLEmail06',
  'PLSIS07',
  'PLName08',
  'PLLOGIN09',
  'PLsisCamel10',
  'PLsisKebab11',
  'PLsisSpaced12',
  'PLvalue13',
  'PLunique14',
  'PLhtml15',
  'PLtext16',
  'PLnested17',
  'Peerless Reviewer',
  `peer.two@${EDU}`,
  'PLverifier18',
  'PLsis19',
];

/** The records carrying {@link PLANTED}, by kind. */
export function plantedRecords(): Record<string, unknown> {
  return {
    login: {
      id: 77,
      user_id: 100_077,
      account_id: 1,
      unique_id: 'PLuniq01',
      sis_user_id: 'PLsis01',
      integration_id: 'PLint01',
      authentication_provider_id: 3,
      created_at: '2026-01-01T00:00:00Z',
    },
    profile: {
      id: 100_077,
      name: 'Plantina Okafor',
      short_name: 'Plantina Okafor',
      sortable_name: 'Okafor, Plantina',
      title: 'Exchange Student',
      bio: 'Hello',
      pronunciation: 'PLAN-tee-nah',
      primary_email: `plantina.okafor@${EDU}`,
      login_id: 'plokafor7',
      sis_user_id: 'PLsis19',
      avatar_url: 'https://canvas.example.edu/images/thumbnails/100077/x',
      calendar: { ics: 'https://canvas.example.edu/feeds/calendars/user_PLfeed99.ics' },
      lti_user_id: 'PLlti01',
      time_zone: 'America/Denver',
      locale: 'en',
    },
    conversation: {
      id: 5,
      subject: 'PLsubject Quiz regrade',
      workflow_state: 'unread',
      last_message: 'PLlast message body',
      last_authored_message: 'PLauthored body',
      message_count: 2,
      audience: [100_077],
      audience_contexts: { courses: { '1001': ['StudentEnrollment'] }, groups: {} },
      avatar_url: 'https://canvas.example.edu/images/messages/avatar-group-50.png',
      participants: [
        { id: 100_077, name: 'Plantina Okafor', full_name: 'Plantino Fullname', avatar_url: null },
      ],
      context_name: 'ARTH 303',
    },
    submission: {
      id: 9,
      user_id: 100_077,
      html_url: 'https://canvas.example.edu/courses/1001/users/sis_user_id:PLsis02',
      rubric_assessment: {
        _4521: { points: 3, rating_id: 'r1', comments: `Asked rubric.peer@${EDU} to check` },
      },
      attachments: [
        {
          id: 31,
          uuid: 'f1',
          display_name: 'essay.pdf',
          filename: `essay-file.owner@${EDU}.pdf`,
          'content-type': 'application/pdf',
          url: 'https://canvas.example.edu/files/31/download?download_frd=1&verifier=PLverifier05',
          preview_url:
            'https://canvas.example.edu/courses/1/files/31/preview?verifier=PLverifier18',
          size: 1024,
        },
      ],
    },
    rubricAssessment: {
      id: 40,
      rubric_id: 2,
      rubric_association_id: 3,
      score: 7,
      artifact_type: 'Submission',
      artifact_id: 9,
      assessment_type: 'peer_review',
      assessor_id: 100_078,
      assessor_name: 'Peerless Reviewer',
      data: [
        {
          id: 'blank',
          criterion_id: '_4521',
          points: 3,
          comments: `Ask peer.two@${EDU}`,
          comments_html: `<p>Ask <a href="mailto:peer.two@${EDU}">peer.two@${EDU}</a></p>`,
        },
      ],
    },
    pageViews: [
      {
        id: 'pv-1',
        url: 'https://canvas.example.edu/accounts/1/users?login_id=PLlogin03&per_page=5',
        interaction_seconds: 4,
        links: { user: 100_077 },
      },
      {
        id: 'pv-2',
        url: 'https://canvas.example.edu/api/v1/users/lti_1_3_id:PLsis04/profile',
        links: { user: 100_077 },
      },
    ],
    channel: { id: 12, address: `channel.addr@${EDU}`, type: 'email', position: 1, user_id: 1 },
    spellings: {
      Email: 'PLEmail06',
      SIS_USER_ID: 'PLSIS07',
      LOGIN_ID: 'PLLOGIN09',
      sisUserId: 'PLsisCamel10',
      'sis-user-id': 'PLsisKebab11',
      'Sis User Id': 'PLsisSpaced12',
      user: { Name: 'PLName08', SortableName: 'x' },
    },
    shapes: {
      sis_user_id: { value: 'PLvalue13' },
      login_id: { unique_id: 'PLunique14' },
      message: { html: 'PLhtml15' },
      comment: [{ text: 'PLtext16' }],
      email: [[{ deep: 'x' }]],
      uuid: [{ nested: 'PLnested17' }],
    },
  };
}
