import type { Questionnaire, QuestionnaireResponse } from 'fhir/r4';
import { evaluateFollowUpRules, readFollowUpRules } from '../../../src/workflows/follow-up-rules';
import { FOLLOW_UP_RULE_URL } from '../../../src/workflows/codes';
import { answerItems } from '../../integration/workflows/fixtures';
import { preopQuestionnaire } from './fixtures';

const qr = (item: QuestionnaireResponse['item']): QuestionnaireResponse => ({
  resourceType: 'QuestionnaireResponse',
  status: 'completed',
  item,
});
const raised = (q: Questionnaire, r: QuestionnaireResponse) =>
  evaluateFollowUpRules(q, r).raised.map((rule) => rule.concern.code);

test('the pre-op questionnaire carries one rule per concern, in its own data', () => {
  expect(readFollowUpRules(preopQuestionnaire()).map((r) => r.concern.code)).toEqual([
    'pregnancy',
    'medicines',
    'alcohol',
    'blood-thinners',
    'recent-illness',
    'diabetes',
    'heart-disease',
    'smoking',
  ]);
});

test('every concern answered yes raises every rule; nothing to tell raises none', () => {
  const all = answerItems({
    sex: 'female',
    pregnant: true,
    medicines: [{ name: 'St John’s wort', kind: 'herb' }],
    alcohol: true,
    bloodThinners: ['naproxen'],
    illnesses: ['flu'],
    diabetes: true,
    heartDisease: true,
    otherConditions: 'asthma',
    smoking: true,
  });
  expect(raised(preopQuestionnaire(), qr(all))).toHaveLength(8);
  expect(
    raised(
      preopQuestionnaire(),
      qr(answerItems({ sex: 'female', pregnant: false, otherConditions: 'asthma' })),
    ),
  ).toEqual([]);
  expect(raised(preopQuestionnaire(), qr([]))).toEqual([]);
});

test('a rule that cannot be evaluated is reported, not raised; the others still run', () => {
  const q = preopQuestionnaire();
  q.extension = [
    ...(q.extension ?? []),
    {
      url: FOLLOW_UP_RULE_URL,
      extension: [
        { url: 'concern', valueCoding: { system: 'x', code: 'broken' } },
        {
          url: 'expression',
          valueExpression: { language: 'text/fhirpath', expression: "%resource.item.where(linkId = 'x'" },
        },
      ],
    },
  ];
  const result = evaluateFollowUpRules(q, qr(answerItems({ sex: 'male', smoking: true })));
  expect(result.raised.map((r) => r.concern.code)).toEqual(['smoking']);
  expect(result.failed.map((f) => f.rule.concern.code)).toEqual(['broken']);
});

test('the response is not modified by the evaluation', () => {
  const response = qr(answerItems({ sex: 'male', smoking: true }));
  const before = JSON.stringify(response);
  evaluateFollowUpRules(preopQuestionnaire(), response);
  expect(JSON.stringify(response)).toBe(before);
});
