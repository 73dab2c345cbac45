/**
 * Word and name lists for the simulator's data generator, plus small text helpers.
 *
 * Student and staff names come from disjoint lists, and every name is long and unusual enough
 * that it is not a substring of any other generated text (course titles, messages, user agents,
 * field names...), so a test that looks for a student's name in sanitized output cannot trip
 * over unrelated text. `test/testing/data.test.ts` checks this.
 *
 * @module
 */

/** First names of students, some non-ASCII. */
export const studentFirstNames: readonly string[] = [
  'José',
  'Zoë',
  'Chloé',
  'Renée',
  'Björn',
  'Søren',
  'Łukasz',
  'Zoltán',
  'Siobhán',
  'Anaïs',
  'François',
  'Jürgen',
  'Thảo',
  'Dmitri',
  'Ngozi',
  'Aaliyah',
  'Mateo',
  'Priyanka',
  'Xiomara',
  'Oluwaseun',
  'Kwabena',
  'Yesenia',
  'Thaddeus',
  'Beatriz',
  'Giovanni',
  'Magdalena',
  'Tomasz',
  'Ingrid',
  'Svetlana',
  'Haruto',
  'Leilani',
  'Imani',
  'Jamal',
  'Deshawn',
  'Tatiana',
  'Rafael',
  'Esperanza',
  'Guadalupe',
  'Bartholomew',
  'Cassandra',
  'Desmond',
  'Fernanda',
  'Gwendolyn',
  'Horatio',
  'Isidora',
  'Jorge',
  'Kateryna',
  'Lorenzo',
  'Marisol',
  'Nikolai',
  'Octavia',
  'Quentin',
  'Rosalind',
  'Sebastián',
  'Tobias',
  'Ulrike',
  'Valentina',
  'Wilhelmina',
  'Ximena',
  'Yolanda',
  'Zachariah',
  'Aurélie',
  'Mẫn',
  'Dagný',
];

/** Last names of students, some non-ASCII. */
export const studentLastNames: readonly string[] = [
  'Nguyễn',
  'Trần',
  'Müller',
  'García',
  'Hernández',
  'Gómez',
  'Peña',
  'Kowalczyk',
  'Ødegaard',
  'Çelik',
  'Yılmaz',
  "O'Connor",
  'Okonkwo',
  'Abernathy',
  'Bjørnstad',
  'Castellanos',
  'Delacroix',
  'Eszterházy',
  'Fitzgerald',
  'Gallagher',
  'Hashimoto',
  'Ivanova',
  'Jablonski',
  'Kuznetsov',
  'Lindqvist',
  'Nakamura',
  'Oyelaran',
  'Papadopoulos',
  'Quiñones',
  'Rasmussen',
  'Szymański',
  'Takahashi',
  'Uchenna',
  'Valenzuela',
  'Wojciechowski',
  'Yamamoto',
  'Zielinski',
  'Achterberg',
  'Bautista',
  'Chaudhry',
  'Dimitriou',
  'Esposito',
  'Fonseca',
  'Gunnarsdóttir',
  'Halvorsen',
  'Iglesias',
  'Jovanović',
  'Kaczmarek',
  'Lefebvre',
  'Mwangi',
  'Nwachukwu',
  'Rodríguez',
  'Sørensen',
  'Thorvaldsen',
  'Villanueva',
  'Zhou',
  'Phạm',
  'Obiora',
];

/** First names of teachers and TAs (disjoint from the student lists). */
export const staffFirstNames: readonly string[] = [
  'Eleanor',
  'Harold',
  'Margaret',
  'Winston',
  'Cornelius',
  'Prudence',
  'Ambrose',
  'Henrietta',
  'Montgomery',
  'Philippa',
  'Reginald',
  'Theodora',
  'Augustin',
  'Clementine',
  'Ignatius',
  'Lavinia',
];

/** Last names of teachers and TAs (disjoint from the student lists). */
export const staffLastNames: readonly string[] = [
  'Ashworth',
  'Blackwood',
  'Carrington',
  'Davenport',
  'Fairbanks',
  'Hollister',
  'Kingsley',
  'Lockhart',
  'Montague',
  'Pemberton',
  'Radcliffe',
  'Sterling',
  'Thornbury',
  'Wakefield',
  'Whitmore',
  'Ellsworth',
];

/** Names of the simulated institution. */
export const institutionNames: readonly string[] = [
  'Example State University',
  'Northfield College',
  'Riverside Community College',
  'Lakeshore Institute of Technology',
];

/** `[subject code, subject name]` pairs for course catalog entries. */
export const subjects: readonly (readonly [string, string])[] = [
  ['BIO', 'Biology'],
  ['CHEM', 'Chemistry'],
  ['PHYS', 'Physics'],
  ['MATH', 'Mathematics'],
  ['HIST', 'History'],
  ['ENGL', 'English Literature'],
  ['PSYC', 'Psychology'],
  ['ECON', 'Economics'],
  ['CS', 'Computer Science'],
  ['PHIL', 'Philosophy'],
  ['SOC', 'Sociology'],
  ['ARTH', 'Art History'],
  ['MUS', 'Music Theory'],
  ['STAT', 'Statistics'],
  ['GEOL', 'Geology'],
  ['POLS', 'Political Science'],
  ['SPAN', 'Spanish'],
  ['NURS', 'Nursing'],
];

/** Course title templates; `{s}` is the subject name. */
export const courseTitleTemplates: readonly string[] = [
  'Introduction to {s}',
  'Principles of {s}',
  'Foundations of {s}',
  'Topics in {s}',
  'Advanced {s}',
  '{s} Seminar',
  '{s} Laboratory',
  'Research Methods in {s}',
];

/** Assignment name templates; `{n}` is a 1-based number. */
export const assignmentTemplates: readonly string[] = [
  'Problem Set {n}',
  'Lab Report {n}',
  'Reading Response {n}',
  'Essay {n}',
  'Quiz {n}',
  'Project Milestone {n}',
  'Case Study {n}',
  'Reflection Journal {n}',
];

/** Discussion topic title templates; `{n}` is a 1-based number. */
export const topicTemplates: readonly string[] = [
  'Week {n} discussion',
  'Introduce yourself',
  'Questions about the syllabus',
  'Midterm review thread',
  'Reading reflections {n}',
  'Group project planning',
  'Current events and the course',
  'Study group coordination',
];

/** Neutral sentences for posts, submissions and comments (no names in them). */
export const sentences: readonly string[] = [
  'I found this week’s reading more useful than I expected.',
  'The second example in the lecture cleared up my confusion about the method.',
  'Does anyone have notes from the review session on Thursday?',
  'I think the main argument depends on an assumption the author never states.',
  'Our group compared three data sets and the results were surprisingly consistent.',
  'The lab procedure took longer than planned, so we repeated the last step.',
  'Could the instructor clarify how the final project will be graded?',
  'I disagree slightly, because the evidence in chapter four points the other way.',
  'The practice problems helped me prepare for the quiz.',
  'This connects well to what we discussed in the first unit.',
  'I would like to revisit the definition from the beginning of the term.',
  'My draft explores how the policy changed over the last decade.',
  'The simulation results matched the theoretical prediction within error.',
  'I appreciated the guest lecture and the questions afterwards.',
  'I am still working through the optional exercises at the end of the chapter.',
  'Here is a summary of the key points from today’s session.',
];

/** Instructor feedback on submissions. */
export const staffComments: readonly string[] = [
  'Nice work on the analysis; the conclusion could be sharper.',
  'Please cite your sources using the course citation style.',
  'Good structure. Watch the units in the second part.',
  'See the rubric for details on the deduction.',
  'Excellent effort, this is a model answer.',
  'Late penalty applied as per the syllabus policy.',
];

/** Student replies to feedback. */
export const studentComments: readonly string[] = [
  'Thanks for the feedback!',
  'Could I resubmit this after office hours?',
  'I uploaded the corrected file, sorry for the mix-up.',
  'Understood, I will fix the citations next time.',
];

/** Student bio templates; `{s}` is a subject name. */
export const studentBios: readonly string[] = [
  'Sophomore majoring in {s}.',
  'First-generation college student interested in {s}.',
  'Transfer student studying {s} part time.',
  'Senior in {s}, hoping to go to graduate school.',
  'Returning adult learner exploring {s}.',
];

/** Staff bio templates; `{s}` is a subject name. */
export const staffBios: readonly string[] = [
  'Teaches {s} and advises undergraduate research.',
  'Faculty member in the department of {s}.',
  'Graduate instructor researching {s}.',
];

/** Student titles. */
export const studentTitles: readonly string[] = [
  'Undergraduate Student',
  'Graduate Student',
  'Exchange Student',
];

/** Staff titles. */
export const staffTitles: readonly string[] = [
  'Assistant Professor',
  'Associate Professor',
  'Professor',
  'Lecturer',
  'Teaching Fellow',
];

/** Pronoun choices. */
export const pronounChoices: readonly string[] = [
  'she/her',
  'he/him',
  'they/them',
  'she/they',
  'he/they',
];

/** Canvas locales. */
export const locales: readonly string[] = [
  'en',
  'en-GB',
  'es',
  'fr',
  'pt-BR',
  'vi',
  'de',
  'zh-Hans',
];

/** IANA time zones. */
export const timeZones: readonly string[] = [
  'America/New_York',
  'America/Chicago',
  'America/Denver',
  'America/Los_Angeles',
  'America/Phoenix',
  'Pacific/Honolulu',
  'Europe/London',
  'Asia/Tokyo',
];

/** Upper-case and lower-case letters and digits (Canvas-style uuids and tokens). */
export const alphanumeric = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

const FOLD: Readonly<Record<string, string>> = {
  á: 'a',
  à: 'a',
  â: 'a',
  ä: 'a',
  ã: 'a',
  å: 'a',
  ả: 'a',
  ạ: 'a',
  ầ: 'a',
  ấ: 'a',
  ậ: 'a',
  ă: 'a',
  ç: 'c',
  ć: 'c',
  č: 'c',
  đ: 'd',
  é: 'e',
  è: 'e',
  ê: 'e',
  ë: 'e',
  ễ: 'e',
  ế: 'e',
  ệ: 'e',
  ề: 'e',
  ğ: 'g',
  í: 'i',
  ì: 'i',
  î: 'i',
  ï: 'i',
  ı: 'i',
  ł: 'l',
  ñ: 'n',
  ń: 'n',
  ó: 'o',
  ò: 'o',
  ô: 'o',
  ö: 'o',
  õ: 'o',
  ø: 'o',
  ồ: 'o',
  ố: 'o',
  ơ: 'o',
  ś: 's',
  š: 's',
  ş: 's',
  ß: 'ss',
  ú: 'u',
  ù: 'u',
  û: 'u',
  ü: 'u',
  ư: 'u',
  ý: 'y',
  ž: 'z',
  ź: 'z',
  ż: 'z',
  ẫ: 'a',
};

/**
 * Lower-cases a name and folds it to the ASCII letters `a-z` (diacritics removed, everything
 * else dropped), e.g. `"Nguyễn"` → `"nguyen"`, `"O'Connor"` → `"oconnor"`. Uses an explicit
 * table rather than Unicode normalization so the result never depends on the ICU version.
 */
export function asciiFold(name: string): string {
  const cached = foldCache.get(name);
  if (cached !== undefined) return cached;
  let out = '';
  for (const ch of name.toLowerCase()) {
    if (ch >= 'a' && ch <= 'z') out += ch;
    else out += FOLD[ch] ?? '';
  }
  if (foldCache.size < 10_000) foldCache.set(name, out);
  return out;
}

const foldCache = new Map<string, string>();

/** Replaces `{key}` placeholders in `template`. */
export function fill(template: string, values: Readonly<Record<string, string | number>>): string {
  return template.replace(/\{(\w+)\}/g, (whole, key: string) => {
    const value = values[key];
    return value === undefined ? whole : String(value);
  });
}

/** Desktop platform tokens of user agents. */
export const desktopPlatforms: readonly string[] = [
  'Windows NT 10.0; Win64; x64',
  'Macintosh; Intel Mac OS X 10_15_7',
  'X11; Linux x86_64',
  'X11; CrOS x86_64 14541.0.0',
];

/** Android phone models of user agents. */
export const phoneModels: readonly string[] = [
  'Pixel 7',
  'Pixel 8',
  'SM-S918B',
  'SM-A546E',
  'moto g power 5G',
];
