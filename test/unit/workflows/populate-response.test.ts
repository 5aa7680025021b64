import type { Patient, QuestionnaireResponse } from 'fhir/r4';
import { populateResponse } from '../../../src/workflows/populate-response';
import { validateResponseAgainstQuestionnaire } from '../../../src/workflows/response-validation';
import { answerItems, response } from '../../integration/workflows/fixtures';
import { preopQuestionnaire, validationErrors } from './fixtures';

const patient = (gender: Patient['gender']): Patient => ({ resourceType: 'Patient', id: 'p1', gender });

test('an empty skeleton: one item per Questionnaire item, groups nested, nothing answered', () => {
  const { response: r, issues } = populateResponse(preopQuestionnaire(), {
    subject: { reference: 'Patient/p1' },
    now: '2026-03-01T00:00:00Z',
  });
  expect(issues).toEqual([]);
  expect(r.item!.map((i) => [i.linkId, i.item!.length])).toEqual([
    ['about-you', 2],
    ['medicines-and-alcohol', 6],
    ['health', 8],
    ['planning', 2],
  ]);
  expect(JSON.stringify(r)).not.toContain('"answer"');
  expect(validateResponseAgainstQuestionnaire(preopQuestionnaire(), r)).toEqual([]);
  expect(validationErrors(r)).toEqual([]);
});

test('the sex comes from Patient.gender through item.definition; a gender with no matching option is a warning', () => {
  const male = populateResponse(preopQuestionnaire(), {
    subject: { reference: 'Patient/p1' },
    patient: patient('male'),
    now: '2026-03-01T00:00:00Z',
  });
  expect(male.response.item![0].item![0].answer).toEqual([
    { valueCoding: { system: 'http://hl7.org/fhir/administrative-gender', code: 'male', display: 'Male' } },
  ]);
  expect(male.issues.map((i) => i.severity)).toEqual(['information']);
  const none = populateResponse(preopQuestionnaire(), {
    subject: { reference: 'Patient/p1' },
    patient: { resourceType: 'Patient', id: 'p1' },
    now: '2026-03-01T00:00:00Z',
  });
  expect(none.response.item![0].item![0].answer).toBeUndefined();
});

test('medicines are carried forward from the previous response, one group per medicine; the result is a valid in-progress response', () => {
  const previous: QuestionnaireResponse = {
    ...response(
      'p1',
      'completed',
      answerItems({
        sex: 'female',
        pregnant: true,
        medicines: [{ name: 'Aspirin 81 mg' }, { name: 'Ginkgo', kind: 'herb' }],
        smoking: true,
      }),
    ),
    id: 'old',
  };
  const { response: r } = populateResponse(preopQuestionnaire(), {
    subject: { reference: 'Patient/p1' },
    patient: patient('female'),
    previous,
    now: '2026-03-01T00:00:00Z',
  });
  const meds = r.item![1].item!;
  expect(meds.filter((i) => i.linkId === 'medicines').map((m) => m.item![0].answer![0].valueString)).toEqual([
    'Aspirin 81 mg',
    'Ginkgo',
  ]);
  expect(meds[0].answer).toEqual([{ valueBoolean: true }]);
  // Not carried: pregnancy and smoking must be asked again.
  expect(r.item![0].item![1].answer).toBeUndefined();
  expect(r.item![2].item!.find((i) => i.linkId === 'smoking')!.answer).toBeUndefined();
  expect(validateResponseAgainstQuestionnaire(preopQuestionnaire(), r)).toEqual([]);
  expect(validationErrors(r)).toEqual([]);
});

test('the answers of the test fixtures are valid R4 and valid against the Questionnaire', () => {
  const full = response(
    'p1',
    'completed',
    answerItems({
      sex: 'other',
      pregnant: false,
      medicines: [{ name: 'x', kind: 'supplement' }],
      bloodThinners: ['other-blood-thinner'],
      bloodThinnerDetails: 'y',
      illnesses: ['other-illness'],
      otherConditions: 'z',
    }),
  );
  expect(validationErrors(full)).toEqual([]);
  expect(validateResponseAgainstQuestionnaire(preopQuestionnaire(), full).map((i) => i.diagnostics)).toEqual([
    "Required question 'illness-details' (Tell us about the other illness.) is missing",
  ]);
});
