import type { Questionnaire, QuestionnaireResponse, QuestionnaireResponseItem } from 'fhir/r4';
import { validateResponseAgainstQuestionnaire } from '../../../src/workflows/response-validation';

/** A small Questionnaire that uses what the pre-op one does not: nested questions, open-choice, operators. */
const questionnaire: Questionnaire = {
  resourceType: 'Questionnaire',
  url: 'http://example.org/Questionnaire/unit',
  status: 'active',
  item: [
    { linkId: 'intro', type: 'display', text: 'Please answer' },
    {
      linkId: 'pain',
      type: 'integer',
      required: true,
      item: [
        {
          linkId: 'where',
          type: 'open-choice',
          answerOption: [{ valueCoding: { system: 'http://example.org/site', code: 'neck' } }],
          repeats: true,
        },
      ],
    },
    {
      linkId: 'severe',
      type: 'boolean',
      required: true,
      enableWhen: [{ question: 'pain', operator: '>=', answerInteger: 7 }],
    },
    {
      linkId: 'no-pain-note',
      type: 'string',
      enableWhen: [{ question: 'pain', operator: 'exists', answerBoolean: false }],
    },
    {
      linkId: 'extra',
      type: 'group',
      item: [
        { linkId: 'reason', type: 'text', required: true, maxLength: 10 },
        {
          linkId: 'not-neck',
          type: 'boolean',
          enableWhen: [
            {
              question: 'where',
              operator: '!=',
              answerCoding: { system: 'http://example.org/site', code: 'neck' },
            },
          ],
        },
      ],
    },
    {
      linkId: 'visits',
      type: 'group',
      repeats: true,
      required: true,
      item: [{ linkId: 'date', type: 'date', required: true }],
    },
  ],
};

function qr(
  status: QuestionnaireResponse['status'],
  item: QuestionnaireResponseItem[],
): QuestionnaireResponse {
  return { resourceType: 'QuestionnaireResponse', questionnaire: questionnaire.url, status, item };
}

const visit = (date: string): QuestionnaireResponseItem => ({
  linkId: 'visits',
  item: [{ linkId: 'date', answer: [{ valueDate: date }] }],
});
const pain = (value: number, where: QuestionnaireResponseItem[] = []): QuestionnaireResponseItem => ({
  linkId: 'pain',
  answer: [{ valueInteger: value, ...(where.length ? { item: where } : {}) }],
});
const check = (status: QuestionnaireResponse['status'], item: QuestionnaireResponseItem[]) =>
  validateResponseAgainstQuestionnaire(questionnaire, qr(status, item)).map(
    (i) => `${i.code} ${i.expression?.[0]}: ${i.diagnostics}`,
  );

test('a complete, valid response has no issue; display items may stay', () => {
  expect(
    check('completed', [
      { linkId: 'intro' },
      pain(3),
      { linkId: 'extra', item: [{ linkId: 'reason', answer: [{ valueString: 'fall' }] }] },
      visit('2026-01-02'),
    ]),
  ).toEqual([]);
});

test('questions nested in a question sit under its answer; under item they are misplaced', () => {
  const nested = pain(2, [
    {
      linkId: 'where',
      answer: [
        { valueString: 'lower back' },
        { valueCoding: { system: 'http://example.org/site', code: 'neck' } },
      ],
    },
  ]);
  expect(check('in-progress', [nested])).toEqual([]);
  const wrong: QuestionnaireResponseItem = {
    linkId: 'pain',
    answer: [{ valueInteger: 2 }],
    item: [{ linkId: 'where', answer: [{ valueString: 'x' }] }],
  };
  expect(check('in-progress', [wrong])).toEqual([
    "structure QuestionnaireResponse.item[0].item[0]: Items nested in question 'pain' belong under each of its answers (answer.item), not under item",
  ]);
});

test('open-choice takes free text, but a code must be one of its options', () => {
  const item = pain(2, [
    { linkId: 'where', answer: [{ valueCoding: { system: 'http://example.org/site', code: 'knee' } }] },
  ]);
  expect(check('in-progress', [item])).toEqual([
    "code-invalid QuestionnaireResponse.item[0].answer[0].item[0].answer[0]: Code 'http://example.org/site|knee' is not one of the answer options of 'where' (neck)",
  ]);
});

test('>= enables a required question; exists=false enables another only while the question is unanswered', () => {
  expect(
    check('completed', [
      pain(8),
      { linkId: 'extra', item: [{ linkId: 'reason', answer: [{ valueString: 'x' }] }] },
      visit('2026-01-02'),
    ]),
  ).toEqual(["required QuestionnaireResponse: Required question 'severe' (no text) is missing"]);
  expect(
    check('completed', [
      pain(1),
      { linkId: 'no-pain-note', answer: [{ valueString: 'n' }] },
      { linkId: 'extra', item: [{ linkId: 'reason', answer: [{ valueString: 'x' }] }] },
      visit('2026-01-02'),
    ]),
  ).toEqual([
    "business-rule QuestionnaireResponse.item[1]: Item 'no-pain-note' is not enabled (see its enableWhen), so a completed response must not answer it",
  ]);
});

test('!= holds when no answer equals the code (a question nested under an answer is found)', () => {
  const neck = pain(2, [
    { linkId: 'where', answer: [{ valueCoding: { system: 'http://example.org/site', code: 'neck' } }] },
  ]);
  const items = [
    neck,
    {
      linkId: 'extra',
      item: [
        { linkId: 'reason', answer: [{ valueString: 'x' }] },
        { linkId: 'not-neck', answer: [{ valueBoolean: true }] },
      ],
    },
    visit('2026-01-02'),
  ];
  expect(check('completed', items)).toEqual([
    "business-rule QuestionnaireResponse.item[1].item[1]: Item 'not-neck' is not enabled (see its enableWhen), so a completed response must not answer it",
  ]);
  const back = pain(2, [{ linkId: 'where', answer: [{ valueString: 'back' }] }]);
  expect(check('completed', [back, ...items.slice(1)])).toEqual([]);
});

test('an absent optional group still owes its required items; an absent required repeating group is reported once', () => {
  expect(check('completed', [pain(1)])).toEqual([
    "required QuestionnaireResponse: Required question 'reason' (no text) is missing",
    "required QuestionnaireResponse: Required group 'visits' (no text) is missing",
  ]);
});

test('each repetition of a repeating group is checked on its own', () => {
  const items = [
    pain(1),
    { linkId: 'extra', item: [{ linkId: 'reason', answer: [{ valueString: 'x' }] }] },
    visit('2026-01-02'),
    { linkId: 'visits', item: [] },
  ];
  expect(check('completed', items)).toEqual([
    "required QuestionnaireResponse.item[3]: Required question 'date' (no text) is missing",
    "required QuestionnaireResponse.item[3]: Required group 'visits' has no answered item",
  ]);
});

test('a non-repeating group twice, an unknown linkId, an answer without value, and answers on display items', () => {
  const items: QuestionnaireResponseItem[] = [
    { linkId: 'intro', answer: [{ valueString: 'hi' }] },
    { linkId: 'pain', answer: [{}] },
    { linkId: 'extra', item: [] },
    { linkId: 'extra', item: [] },
    { linkId: 'mystery' },
  ];
  expect(check('in-progress', items)).toEqual([
    "structure QuestionnaireResponse.item[0].answer[0]: Item 'intro' is a display: it takes no answers",
    "required QuestionnaireResponse.item[1].answer[0]: An answer to 'pain' must carry a value",
    "structure QuestionnaireResponse.item[3]: Group 'extra' does not repeat but appears 2 times",
    "structure QuestionnaireResponse.item[4]: linkId 'mystery' is not an item of http://example.org/Questionnaire/unit",
  ]);
});

test('maxLength counts characters, not UTF-16 units, and applies once completed', () => {
  const reason = (text: string) => [
    pain(1),
    { linkId: 'extra', item: [{ linkId: 'reason', answer: [{ valueString: text }] }] },
    visit('2026-01-02'),
  ];
  expect(check('completed', reason('😀'.repeat(10)))).toEqual([]);
  expect(check('completed', reason('x'.repeat(11)))).toEqual([
    "value QuestionnaireResponse.item[1].item[0].answer[0]: The answer to 'reason' is 11 characters long; the Questionnaire allows at most 10",
  ]);
  expect(check('in-progress', reason('x'.repeat(11)))).toEqual([]);
});

test('a disabled group is reported once, not once per answered child', () => {
  const gated: Questionnaire = {
    ...questionnaire,
    item: [
      { linkId: 'gate', type: 'boolean' },
      {
        linkId: 'inside',
        type: 'group',
        enableWhen: [{ question: 'gate', operator: '=', answerBoolean: true }],
        item: [
          { linkId: 'a', type: 'string' },
          { linkId: 'b', type: 'string' },
        ],
      },
    ],
  };
  const issues = validateResponseAgainstQuestionnaire(
    gated,
    qr('completed', [
      { linkId: 'gate', answer: [{ valueBoolean: false }] },
      {
        linkId: 'inside',
        item: [
          { linkId: 'a', answer: [{ valueString: '1' }] },
          { linkId: 'b', answer: [{ valueString: '2' }] },
        ],
      },
    ]),
  );
  expect(issues.map((i) => i.expression?.[0])).toEqual(['QuestionnaireResponse.item[1]']);
});
