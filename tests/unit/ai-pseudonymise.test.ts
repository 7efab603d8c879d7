import fc from 'fast-check';
import type { ReviewMaterial } from '../../lib/ai/ai-types';
import {
  NAME_DENY_LIST,
  PSEUDONYM_EMAIL,
  PSEUDONYM_ID,
  PSEUDONYM_NUMBER,
  findPii,
  pseudonymiseMaterial,
  studentPlaceholder,
  type Roster,
} from '../../lib/ai/pseudonymise';
import { propertyConfig } from './support/property';

const material = (over: Partial<ReviewMaterial> = {}): ReviewMaterial => ({
  assignmentTitle: 'Averages',
  instructions: '',
  rubric: [],
  guidance: '',
  hiddenNotes: '',
  files: [],
  diffSinceLastReview: null,
  ...over,
});

const allTexts = (m: ReviewMaterial): string[] => [
  m.assignmentTitle,
  m.instructions,
  m.guidance,
  m.hiddenNotes,
  m.diffSinceLastReview ?? '',
  ...m.rubric.flatMap((r) => [r.title, r.description]),
  ...m.files.flatMap((f) => [f.name, f.text]),
];

const ROSTER: Roster = {
  names: ['Anna Smith', 'Max Weber', 'Zoë Lindqvist', "Seán O'Brien", 'Li Na'],
  emails: ['anna.smith@school.example', 'max.weber@school.example'],
  ids: ['u_4fQx9Zr2LmP0aTy7', 'grp-7Hk2Pq9Xw1', 'ws_Ab12Cd34Ef56'],
};

describe('pseudonymise: names', () => {
  test('full names and their parts get one stable placeholder per person, in roster order', () => {
    const text = '# by Anna Smith, reviewed by Max Weber\n# thanks anna and SMITH; Weber too\n';
    const { material: m } = pseudonymiseMaterial(material({ instructions: text, guidance: 'Ask Anna or Weber.' }), ROSTER);
    expect(m.instructions).toBe('# by Student A, reviewed by Student B\n# thanks Student A and Student A; Student B too\n');
    expect(m.guidance).toBe('Ask Student A or Student B.');
    // Same roster → same placeholders in another call.
    expect(pseudonymiseMaterial(material({ guidance: 'Weber, Anna' }), ROSTER).material.guidance).toBe('Student B, Student A');
  });

  test('names are whole words, case-insensitive, and survive accents in either Unicode form', () => {
    const text = 'zoë, ZOË, Zoe\u0308, Lindqvist; Annabelle and Hannah are not Anna; anna_2 is';
    const { material: m } = pseudonymiseMaterial(material({ instructions: text }), ROSTER);
    expect(m.instructions).toBe('Student C, Student C, Student C, Student C; Annabelle and Hannah are not Student A; Student A_2 is');
  });

  test('common identifiers are not names: a student called Max does not break max()', () => {
    const code = 'def best(values):\n    return max(values)  # Max said so; Max Weber agrees\n\nMAX = 10\n';
    const { material: m } = pseudonymiseMaterial(material({ files: [{ name: 'main.py', text: code }] }), ROSTER);
    expect(m.files[0]!.text).toBe('def best(values):\n    return max(values)  # Max said so; Student B agrees\n\nMAX = 10\n');
    expect(NAME_DENY_LIST.has('max')).toBe(true);
  });

  test('names shorter than 3 letters are not replaced on their own, but the full name is', () => {
    const { material: m } = pseudonymiseMaterial(material({ instructions: 'Li Na wrote it; li = [] and na = 0' }), ROSTER);
    expect(m.instructions).toBe('Student E wrote it; li = [] and na = 0');
  });

  test('in code, a name outside comments and strings becomes one identifier', () => {
    const code = 'anna = 1\nprint("Anna Smith")\n';
    const { material: m } = pseudonymiseMaterial(material({ files: [{ name: 'a.py', text: code }] }), ROSTER);
    expect(m.files[0]!.text).toBe('Student_A = 1\nprint("Student A")\n');
  });

  test('a full name is not joined across a line break (line numbers must not move)', () => {
    const { material: m } = pseudonymiseMaterial(material({ instructions: 'Anna\nSmith' }), ROSTER);
    expect(m.instructions).toBe('Student A\nStudent A');
  });
});

describe('pseudonymise: emails, ids and numbers', () => {
  test('roster emails and ids are replaced everywhere, code included', () => {
    const code = 'OWNER = "anna.smith@school.example"\nws = ws_Ab12Cd34Ef56\n# group grp-7Hk2Pq9Xw1\n';
    const { material: m } = pseudonymiseMaterial(material({ files: [{ name: 'a.py', text: code }] }), ROSTER);
    expect(m.files[0]!.text).toBe(`OWNER = "${PSEUDONYM_EMAIL}"\nws = ${PSEUDONYM_ID}\n# group ${PSEUDONYM_ID}\n`);
  });

  test('any email, phone number or student number in comments, strings and prose is replaced', () => {
    const code = [
      '# contact: someone.else@uni.example or +49 176 1234 5678, student no. s1234567',
      'x = 10000000  # a constant stays',
      'y = inputs@self.weights',
      'msg = "call 555-123-4567 or (030) 1234567"',
      '# test data: 10 20 30 40, due 2024-01-15, version 1.2.3',
    ].join('\n');
    const { material: m } = pseudonymiseMaterial(material({ files: [{ name: 'main.py', text: code }], instructions: 'Mail prof@uni.example, tel 0176 12345678.' }), ROSTER);
    expect(m.files[0]!.text.split('\n')).toEqual([
      `# contact: ${PSEUDONYM_EMAIL} or ${PSEUDONYM_NUMBER}, student no. s${PSEUDONYM_NUMBER}`,
      'x = 10000000  # a constant stays',
      'y = inputs@self.weights',
      `msg = "call ${PSEUDONYM_NUMBER} or ${PSEUDONYM_NUMBER}"`,
      '# test data: 10 20 30 40, due 2024-01-15, version 1.2.3',
    ]);
    expect(m.instructions).toBe(`Mail ${PSEUDONYM_EMAIL}, tel ${PSEUDONYM_NUMBER}.`);
  });

  test('files of unknown type are prose: scrubbed fully', () => {
    const { material: m } = pseudonymiseMaterial(material({ files: [{ name: 'notes.txt', text: 'x = 10000000' }] }), ROSTER);
    expect(m.files[0]!.text).toBe(`x = ${PSEUDONYM_NUMBER}`);
  });

  test('C-family comments, block comments and template strings are found', () => {
    const code = '/* Anna Smith 1234567 */\nconst n = 1234567; // 7654321\nconst s = `tel 0176 12345678`;\n';
    const { material: m } = pseudonymiseMaterial(material({ files: [{ name: 'a.js', text: code }] }), ROSTER);
    expect(m.files[0]!.text).toBe(`/* Student A ${PSEUDONYM_NUMBER} */\nconst n = 1234567; // ${PSEUDONYM_NUMBER}\nconst s = \`tel ${PSEUDONYM_NUMBER}\`;\n`);
  });
});

describe('pseudonymise: material', () => {
  test('every field is scrubbed, hidden notes and rubric included; replacements are counted', () => {
    const m = material({
      assignmentTitle: 'Anna Smith resit',
      instructions: 'Anna Smith',
      rubric: [{ title: 'Weber part', points: 3, description: 'as Max Weber did' }],
      guidance: 'anna.smith@school.example',
      hiddenNotes: 'Seán O’Brien knows; O\'Brien too',
      diffSinceLastReview: '+# Zoë was here',
      files: [{ name: 'anna_smith.py', text: '# Anna' }],
    });
    const r = pseudonymiseMaterial(m, ROSTER);
    for (const t of allTexts(r.material)) expect(findPii(t, ROSTER)).toEqual([]);
    expect(r.material.rubric[0]).toEqual({ title: 'Student B part', points: 3, description: 'as Student B did' });
    expect(r.material.files[0]!.name).toBe('Student_A_Student_A.py');
    expect(r.replacements).toBeGreaterThanOrEqual(11);
  });

  test('file names stay unique and in order, so findings can be mapped back by index', () => {
    const files = [
      { name: 'anna.py', text: '' },
      { name: 'smith.py', text: '' },
      { name: 'Student_A.py', text: '' },
      { name: 'other.py', text: '' },
    ];
    const names = pseudonymiseMaterial(material({ files }), ROSTER).material.files.map((f) => f.name);
    expect(names).toEqual(['Student_A.py', 'Student_A-2.py', 'Student_A-3.py', 'other.py']);
  });

  test('an empty roster changes nothing but generic PII', () => {
    const m = material({ instructions: 'Anna: a@b.example', files: [{ name: 'a.py', text: 'anna = 1\n' }] });
    const r = pseudonymiseMaterial(m, { names: [], emails: [], ids: [] });
    expect(r.material.instructions).toBe(`Anna: ${PSEUDONYM_EMAIL}`);
    expect(r.material.files[0]!.text).toBe('anna = 1\n');
  });
});

describe('pseudonymise: findPii', () => {
  test('finds leftover names, parts, emails and ids', () => {
    const found = findPii('Anna Smith / smith / MAX.WEBER@school.example / x ws_Ab12Cd34Ef56 y / max(3)', ROSTER);
    expect(found).toEqual(['Anna Smith', 'smith', 'MAX.WEBER@school.example', 'ws_Ab12Cd34Ef56']);
  });

  test('placeholders themselves are clean', () => {
    const text = [studentPlaceholder(0), studentPlaceholder(27, 'identifier'), PSEUDONYM_EMAIL, PSEUDONYM_ID, PSEUDONYM_NUMBER].join(' ');
    expect(findPii(text, { names: ['Student Example', 'Invalid Number'], emails: [], ids: [] })).toEqual([]);
    expect(studentPlaceholder(27, 'identifier')).toBe('Student_AB');
  });
});

describe('pseudonymise: properties', () => {
  const letters = 'abcdefghijklmnopqrstuvwxyzäöüéñ';
  /** Words a template uses: a generated name equal to one would be replaced, which the code check forbids. */
  const TEMPLATE_WORDS = new Set(['hello', 'contact', 'author', 'greeting', 'owner', 'who', 'pair', 'struggles', 'school']);
  const namePart = fc
    .array(fc.constantFrom(...letters), { minLength: 3, maxLength: 9 })
    .map((cs) => cs.join(''))
    .filter((p) => !NAME_DENY_LIST.has(p) && !TEMPLATE_WORDS.has(p))
    .map((p) => p[0]!.toUpperCase() + p.slice(1));
  const person = fc.tuple(namePart, namePart, fc.stringMatching(/^[A-Za-z0-9_-]{22}$/));
  const rosterArb = fc.uniqueArray(person, { minLength: 1, maxLength: 5, selector: (p) => `${p[0]} ${p[1]}`.toLowerCase() }).map(
    (people): Roster => ({
      names: people.map(([first, last]) => `${first} ${last}`),
      emails: people.map(([first, last]) => `${first}.${last}@school.example`.toLowerCase()),
      ids: people.map(([, , id]) => id),
    }),
  );

  /** Code in which each person's name, parts, email and id appear in comments, strings and code. */
  const codeFor = (roster: Roster, who: number[], style: 'py' | 'js'): string => {
    const lines: string[] = [];
    for (const i of who) {
      const name = roster.names[i]!;
      const [first = '', last = ''] = name.split(' ');
      const email = roster.emails[i]!;
      const id = roster.ids[i]!;
      if (style === 'py') {
        lines.push(`# Author: ${name} <${email}>`, `greeting = "Hello ${first}!"  # ${last.toUpperCase()}`, `owner_id = '${id}'`);
        lines.push(`def total(values):`, `    return max(values) + sum(values)  # ${first.toLowerCase()}`);
      } else {
        lines.push(`/* ${name}\n * ${email} */`, `const who = \`${first} ${last}\`; // ${id}`, `print(${first.toLowerCase()}_result);`);
      }
    }
    return lines.join('\n');
  };

  test('no roster name, email or id survives, lines are kept, identifiers like max() are untouched', () => {
    fc.assert(
      fc.property(rosterArb, fc.array(fc.nat(4), { minLength: 1, maxLength: 6 }), (roster, picks) => {
        const who = picks.map((p) => p % roster.names.length);
        const files = [
          { name: 'main.py', text: codeFor(roster, who, 'py') },
          { name: 'app.js', text: codeFor(roster, who, 'js') },
          { name: `${roster.names[who[0]!]!.split(' ')[1]!.toLowerCase()}_notes.txt`, text: `Contact ${roster.emails[who[0]!]}` },
        ];
        const m = material({
          instructions: `Pair: ${who.map((i) => roster.names[i]).join(' & ')}`,
          hiddenNotes: `${roster.names[who[0]!]} (${roster.ids[who[0]!]}) struggles`,
          diffSinceLastReview: `+# ${roster.names[who[who.length - 1]!]}`,
          files,
        });
        const r = pseudonymiseMaterial(m, roster);
        for (const t of allTexts(r.material)) {
          expect(findPii(t, roster)).toEqual([]);
          const lower = t.toLowerCase();
          for (const e of roster.emails) expect(lower).not.toContain(e.toLowerCase());
          for (const id of roster.ids) expect(t).not.toContain(id);
        }
        r.material.files.forEach((f, i) => expect(f.text.split('\n').length).toBe(files[i]!.text.split('\n').length));
        expect(r.material.files[0]!.text).toContain('return max(values) + sum(values)');
        expect(r.material.files[0]!.text).toContain('def total(values):');
        // One person, one placeholder: the first pick's name maps to the same placeholder everywhere.
        const placeholder = studentPlaceholder(who[0]!);
        expect(r.material.instructions.startsWith(`Pair: ${placeholder}`)).toBe(true);
        expect(r.material.hiddenNotes.startsWith(`${placeholder} (${PSEUDONYM_ID})`)).toBe(true);
      }),
      propertyConfig(150),
    );
  });

  test('scrubbing is idempotent', () => {
    fc.assert(
      fc.property(rosterArb, (roster) => {
        const once = pseudonymiseMaterial(material({ files: [{ name: 'main.py', text: codeFor(roster, [0], 'py') }] }), roster);
        const twice = pseudonymiseMaterial(once.material, roster);
        expect(twice.material).toEqual(once.material);
      }),
      propertyConfig(100),
    );
  });
});
