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
    'other-conditions',
    'no-ride-home',
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
    rideHome: 'no',
  });
  expect(raised(preopQuestionnaire(), qr(all))).toHaveLength(10);
  expect(raised(preopQuestionnaire(), qr(answerItems({ sex: 'female', pregnant: false })))).toEqual([]);
  expect(raised(preopQuestionnaire(), qr([]))).toEqual([]);
});

test('pregnancy is raised by a yes whatever the recorded sex; "does not apply to me" raises nothing', () => {
  expect(raised(preopQuestionnaire(), qr(answerItems({ sex: 'male', pregnant: true })))).toEqual(['pregnancy']);
  expect(raised(preopQuestionnaire(), qr(answerItems({ sex: 'female', pregnant: 'not-applicable' })))).toEqual([]);
});

test('"no" to a ride home and another condition raise follow-ups; "not needed or not sure" does not', () => {
  expect(raised(preopQuestionnaire(), qr(answerItems({ sex: 'female', rideHome: 'no' })))).toEqual(['no-ride-home']);
  expect(
    raised(preopQuestionnaire(), qr(answerItems({ sex: 'female', rideHome: 'not-needed-or-not-sure', homePrepared: 'not-needed-or-not-sure' }))),
  ).toEqual([]);
  expect(raised(preopQuestionnaire(), qr(answerItems({ sex: 'female', otherConditions: 'asthma' })))).toEqual(['other-conditions']);
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
