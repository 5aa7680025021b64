/**
 * Every search parameter type, modifier and prefix of R4 search.html, as a table: for each
 * query, the fixtures that must match and the fixtures that must not. Run over HTTP on PGlite
 * and (with DATABASE_URL) on Postgres.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Resource } from 'fhir/r4';
import { startTestServer, type TestServer } from '../../support/test-server';
import { matchIds, putAll } from './search-helpers';

const SCT = 'http://snomed.info/sct';
const LOINC = 'http://loinc.org';
const UCUM = 'http://unitsofmeasure.org';
const RISK = 'https://patient-education.dev/fhir/CodeSystem/procedure-risk';
const V2_0203 = 'http://terminology.hl7.org/CodeSystem/v2-0203';
const USAGE = 'http://terminology.hl7.org/CodeSystem/usage-context-type';
const OTHER_SERVER = 'http://other.example/fhir';

function observation(id: string, extra: Record<string, unknown>): Resource {
  return {
    resourceType: 'Observation',
    id,
    status: 'final',
    code: { coding: [{ system: LOINC, code: '8302-2' }] },
    ...extra,
  } as Resource;
}

function patient(id: string, extra: Record<string, unknown>): Resource {
  return { resourceType: 'Patient', id, ...extra } as Resource;
}

const fixtures: Resource[] = [
  // --- string (Patient name / family / given / address-city) ---
  patient('s-nunez', { name: [{ family: 'Núñez', given: ['María'] }], gender: 'female' }),
  patient('s-nunez-plain', { name: [{ family: 'Nunez', given: ['Maria'] }], gender: 'female' }),
  patient('s-nunez-lopez', { name: [{ family: 'NÚÑEZ-López', given: ['Ana'] }], gender: 'female' }),
  patient('s-anunez', { name: [{ family: 'Anúñez', given: ['Pedro'] }], gender: 'male' }),
  patient('s-smith-jr', { name: [{ family: 'Smith, Jr', given: ['John'] }], address: [{ city: 'Zürich' }], gender: 'male' }),
  patient('s-backslash', { name: [{ family: 'Back\\slash', given: ['Bea'] }], gender: 'other' }),
  patient('s-percent', { name: [{ family: '100% Sure_Thing', given: ['Pat'] }], gender: 'unknown' }),
  patient('s-noname', { birthDate: '1970-01-01', active: true, telecom: [{ system: 'phone', value: '555-0100' }] }),
  patient('s-inactive', { active: false, telecom: [{ system: 'email', value: 'Ana@Example.org' }] }),
  // --- token identifier / :of-type ---
  patient('t-ident', {
    identifier: [
      { system: 'urn:hosp', value: '12345', type: { coding: [{ system: V2_0203, code: 'MR' }], text: 'Medical record number' } },
      { system: 'urn:pipes', value: 'a|b' },
    ],
  }),
  patient('t-ident-other', { identifier: [{ system: 'urn:other', value: '12345', type: { coding: [{ system: V2_0203, code: 'SS' }] } }] }),
  // --- token on Observation.code ---
  observation('c-sct', { code: { coding: [{ system: SCT, code: '123', display: 'Foraminal stenosis' }], text: 'Narrowed foramen' } }),
  observation('c-nosys', { code: { coding: [{ code: '123', display: 'Plain code' }] } }),
  observation('c-loinc', { code: { coding: [{ system: LOINC, code: '123' }] } }),
  observation('c-text-only', { code: { text: 'Stenosis of the spine' } }),
  observation('c-456', { code: { coding: [{ system: SCT, code: '456', display: 'Bleeding' }] } }),
  observation('c-risk-general', { code: { coding: [{ system: RISK, code: 'general' }] } }),
  observation('c-risk-bleeding', { code: { coding: [{ system: RISK, code: 'bleeding' }] } }),
  observation('c-risk-nerve', { code: { coding: [{ system: RISK, code: 'spinal-nerve-damage' }] } }),
  // --- reference on Observation.subject ---
  observation('r-rel', { subject: { reference: 'Patient/p1' } }),
  observation('r-group', { subject: { reference: 'Group/p1' } }),
  observation('r-abs', { subject: { reference: `${OTHER_SERVER}/Patient/p1` } }),
  // Reference.identifier next to a reference: the server's validator currently refuses an
  // identifier-only Reference (ref-1 evaluated on an empty reference).
  observation('r-ident', { subject: { reference: 'Patient/p9', identifier: { system: 'urn:mrn', value: 'M1' } } }),
  observation('r-p2', { subject: { reference: 'Patient/p2' } }),
  // --- date on Observation.effective[x] ---
  observation('d-day', { effectiveDateTime: '2024-11-07' }),
  observation('d-month', { effectiveDateTime: '2024-11' }),
  observation('d-year', { effectiveDateTime: '2024' }),
  observation('d-second', { effectiveDateTime: '2024-11-07T10:30:00Z' }),
  observation('d-instant', { effectiveInstant: '2024-11-07T23:59:59.999Z' }),
  observation('d-next-midnight', { effectiveDateTime: '2024-11-08T00:00:00Z' }),
  observation('d-prev', { effectiveDateTime: '2024-11-06T23:59:59Z' }),
  observation('d-tz', { effectiveDateTime: '2024-11-07T01:00:00+02:00' }),
  observation('d-period', { effectivePeriod: { start: '2024-11-01', end: '2024-11-30' } }),
  observation('d-open', { effectivePeriod: { start: '2024-12-01' } }),
  observation('d-old', { effectiveDateTime: '2000-01-01' }),
  observation('d-far', { effectiveDateTime: '9999-12-31' }),
  // --- quantity on Observation.valueQuantity ---
  observation('q-mg', { valueQuantity: { value: 5.4, unit: 'mg', system: UCUM, code: 'mg' } }),
  observation('q-g', { valueQuantity: { value: 5.4, unit: 'g', system: UCUM, code: 'g' } }),
  observation('q-unit-only', { valueQuantity: { value: 5.4, unit: 'mg' } }),
  observation('q-6mg', { valueQuantity: { value: 6, unit: 'mg', system: UCUM, code: 'mg' } }),
  observation('q-4mg', { valueQuantity: { value: 4.9, unit: 'mg', system: UCUM, code: 'mg' } }),
  // --- number on RiskAssessment.prediction.probability (ras-2: at most 100) ---
  ...[
    ['n-90', 90],
    ['n-90-4', 90.4],
    ['n-90-5', 90.5],
    ['n-89-5', 89.5],
    ['n-89-4', 89.4],
    ['n-91', 91],
    ['n-96', 96],
    ['n-100', 100],
  ].map(
    ([id, value]) =>
      ({ resourceType: 'RiskAssessment', id, status: 'final', subject: { reference: 'Patient/p1' }, prediction: [{ probabilityDecimal: value }] }) as Resource,
  ),
  { resourceType: 'RiskAssessment', id: 'n-none', status: 'final', subject: { reference: 'Patient/p1' } } as Resource,
  // --- uri on ValueSet.url; also the value sets of :in / :not-in ---
  {
    resourceType: 'ValueSet',
    id: 'u-concepts',
    url: 'http://example.org/fhir/ValueSet/concepts',
    status: 'active',
    compose: { include: [{ system: SCT, concept: [{ code: '123' }] }] },
  } as Resource,
  {
    resourceType: 'ValueSet',
    id: 'u-general-risks',
    url: 'http://example.org/fhir/ValueSet/concepts/general-risks',
    status: 'active',
    compose: { include: [{ system: RISK, filter: [{ property: 'concept', op: 'is-a', value: 'general' }] }] },
  } as Resource,
  {
    resourceType: 'ValueSet',
    id: 'u-all-risks',
    url: 'http://other.org/ValueSet/all-risks',
    status: 'active',
    compose: { include: [{ system: RISK }] },
  } as Resource,
  { resourceType: 'ValueSet', id: 'u-fhirx', url: 'http://example.org/fhirx/ValueSet/y', status: 'active' } as Resource,
  { resourceType: 'ValueSet', id: 'u-none', status: 'draft' } as Resource,
  // --- reference to canonicals with versions (Measure.library, the depends-on parameter) ---
  ...[
    ['k-v1', 'http://example.org/Library/q|1.0'],
    ['k-v2', 'http://example.org/Library/q|2.0'],
    ['k-nov', 'http://example.org/Library/q'],
    ['k-other', 'http://example.org/Library/other|1.0'],
  ].map(([id, library]) => ({ resourceType: 'Measure', id, status: 'active', library: [library] }) as Resource),
  // --- composite (ActivityDefinition context-type-value, context-type-quantity; PlanDefinition has
  // the same parameters, but our profile constrains every PlanDefinition) ---
  {
    resourceType: 'ActivityDefinition',
    id: 'x-focus-123',
    status: 'active',
    url: 'http://example.org/fhir/ActivityDefinition/x1',
    useContext: [
      { code: { system: USAGE, code: 'focus' }, valueCodeableConcept: { coding: [{ system: SCT, code: '123' }] } },
      { code: { system: USAGE, code: 'age' }, valueQuantity: { value: 20, system: UCUM, code: 'a' } },
    ],
  } as Resource,
  {
    resourceType: 'ActivityDefinition',
    id: 'x-focus-456',
    status: 'active',
    useContext: [
      { code: { system: USAGE, code: 'focus' }, valueCodeableConcept: { coding: [{ system: SCT, code: '456' }] } },
      { code: { system: USAGE, code: 'age' }, valueQuantity: { value: 10, system: UCUM, code: 'a' } },
    ],
  } as Resource,
  {
    resourceType: 'ActivityDefinition',
    id: 'x-gender-123',
    status: 'active',
    useContext: [{ code: { system: USAGE, code: 'gender' }, valueCodeableConcept: { coding: [{ system: SCT, code: '123' }] } }],
  } as Resource,
  {
    resourceType: 'ActivityDefinition',
    id: 'x-dollar',
    status: 'active',
    useContext: [{ code: { system: USAGE, code: 'focus' }, valueCodeableConcept: { coding: [{ system: 'urn:odd', code: 'a$b,c' }] } }],
  } as Resource,
  { resourceType: 'ActivityDefinition', id: 'x-none', status: 'draft' } as Resource,
];

interface Case {
  query: string;
  match: string[];
  noMatch: string[];
}

const enc = encodeURIComponent;

const cases: Record<string, Case[]> = {
  string: [
    { query: 'Patient?family=nunez', match: ['s-nunez', 's-nunez-plain', 's-nunez-lopez'], noMatch: ['s-anunez', 's-noname'] },
    { query: 'Patient?family=NÚÑEZ', match: ['s-nunez', 's-nunez-plain', 's-nunez-lopez'], noMatch: ['s-anunez'] },
    { query: 'Patient?family=Núñez-L', match: ['s-nunez-lopez'], noMatch: ['s-nunez', 's-nunez-plain'] },
    { query: 'Patient?name=maria', match: ['s-nunez', 's-nunez-plain'], noMatch: ['s-nunez-lopez'] },
    { query: `Patient?family:exact=${enc('Núñez')}`, match: ['s-nunez'], noMatch: ['s-nunez-plain', 's-nunez-lopez', 's-anunez'] },
    { query: 'Patient?family:exact=nunez', match: [], noMatch: ['s-nunez', 's-nunez-plain'] },
    { query: 'Patient?family:exact=Nunez', match: ['s-nunez-plain'], noMatch: ['s-nunez', 's-nunez-lopez'] },
    { query: 'Patient?family:contains=UNE', match: ['s-nunez', 's-nunez-plain', 's-nunez-lopez', 's-anunez'], noMatch: ['s-smith-jr'] },
    { query: 'Patient?family:contains=lópez', match: ['s-nunez-lopez'], noMatch: ['s-nunez'] },
    { query: 'Patient?address-city=zurich', match: ['s-smith-jr'], noMatch: ['s-nunez'] },
    // % and _ are literal characters, not wildcards
    { query: `Patient?family=${enc('100%')}`, match: ['s-percent'], noMatch: ['s-nunez'] },
    { query: `Patient?family:contains=${enc('%')}`, match: ['s-percent'], noMatch: ['s-nunez', 's-smith-jr'] },
    { query: 'Patient?family:contains=e_t', match: ['s-percent'], noMatch: ['s-nunez'] },
    { query: 'Patient?family:contains=e_x', match: [], noMatch: ['s-percent'] },
    { query: 'Patient?family:missing=true', match: ['s-noname', 't-ident'], noMatch: ['s-nunez', 's-percent'] },
    { query: 'Patient?family:missing=false', match: ['s-nunez', 's-percent'], noMatch: ['s-noname', 't-ident'] },
  ],
  'escaping and OR/AND': [
    { query: 'Patient?family=nunez,smith', match: ['s-nunez', 's-nunez-plain', 's-smith-jr'], noMatch: ['s-anunez', 's-percent'] },
    { query: `Patient?family=${enc('Smith\\, Jr')}`, match: ['s-smith-jr'], noMatch: ['s-nunez'] },
    { query: `Patient?family=${enc('smith\\,')}`, match: ['s-smith-jr'], noMatch: [] },
    { query: `Patient?family=${enc('smith\\,x')}`, match: [], noMatch: ['s-smith-jr'] },
    { query: `Patient?family=${enc('back\\\\slash')}`, match: ['s-backslash'], noMatch: ['s-smith-jr'] },
    { query: `Patient?identifier=${enc('urn:pipes|a\\|b')}`, match: ['t-ident'], noMatch: ['t-ident-other'] },
    { query: `Patient?identifier=${enc('a\\|b')}`, match: ['t-ident'], noMatch: ['t-ident-other'] },
    { query: 'Patient?family=nunez&given=ana', match: ['s-nunez-lopez'], noMatch: ['s-nunez', 's-nunez-plain'] },
    { query: 'Patient?family=nunez&family=nunez-l', match: ['s-nunez-lopez'], noMatch: ['s-nunez', 's-nunez-plain'] },
    { query: 'Patient?family=nunez,smith&gender=male', match: ['s-smith-jr'], noMatch: ['s-nunez', 's-anunez'] },
    {
      query: `ActivityDefinition?context-type-value=${enc('focus$urn:odd|a\\$b\\,c')}`,
      match: ['x-dollar'],
      noMatch: ['x-focus-123', 'x-focus-456'],
    },
  ],
  token: [
    { query: 'Observation?code=123', match: ['c-sct', 'c-nosys', 'c-loinc'], noMatch: ['c-456', 'c-text-only'] },
    { query: `Observation?code=${enc(`${SCT}|123`)}`, match: ['c-sct'], noMatch: ['c-nosys', 'c-loinc', 'c-456'] },
    { query: `Observation?code=${enc('|123')}`, match: ['c-nosys'], noMatch: ['c-sct', 'c-loinc'] },
    { query: `Observation?code=${enc(`${SCT}|`)}`, match: ['c-sct', 'c-456'], noMatch: ['c-nosys', 'c-loinc', 'c-text-only'] },
    { query: `Observation?code=${enc(`${SCT}|123,${SCT}|456`)}`, match: ['c-sct', 'c-456'], noMatch: ['c-nosys', 'c-loinc'] },
    { query: 'Observation?code:text=stenosis', match: ['c-sct', 'c-text-only'], noMatch: ['c-456', 'c-nosys'] },
    { query: 'Observation?code:text=NARROWED', match: ['c-sct'], noMatch: ['c-text-only'] },
    { query: 'Observation?code:text=tenosis', match: [], noMatch: ['c-sct', 'c-text-only'] },
    {
      query: `Observation?code:not=${enc(`${SCT}|123`)}`,
      match: ['c-nosys', 'c-loinc', 'c-text-only', 'c-456', 'r-rel'],
      noMatch: ['c-sct'],
    },
    { query: 'Observation?code:not=123', match: ['c-456', 'c-text-only'], noMatch: ['c-sct', 'c-nosys', 'c-loinc'] },
    { query: 'Patient?gender=female', match: ['s-nunez', 's-nunez-lopez'], noMatch: ['s-anunez', 's-noname'] },
    { query: 'Patient?gender:not=female', match: ['s-anunez', 's-noname', 's-percent'], noMatch: ['s-nunez', 's-nunez-plain'] },
    { query: 'Patient?gender:missing=true', match: ['s-noname', 't-ident'], noMatch: ['s-nunez', 's-percent'] },
    { query: 'Patient?gender:missing=false', match: ['s-nunez', 's-percent'], noMatch: ['s-noname'] },
    { query: 'Patient?active=true', match: ['s-noname'], noMatch: ['s-inactive', 's-nunez'] },
    { query: 'Patient?active=false', match: ['s-inactive'], noMatch: ['s-noname'] },
    { query: 'Patient?active:not=true', match: ['s-inactive', 's-nunez'], noMatch: ['s-noname'] },
    { query: 'Patient?telecom=555-0100', match: ['s-noname'], noMatch: ['s-inactive'] },
    { query: `Patient?email=${enc('Ana@Example.org')}`, match: ['s-inactive'], noMatch: ['s-noname'] },
    { query: 'Patient?phone=555-0100', match: ['s-noname'], noMatch: ['s-inactive'] },
    { query: 'Patient?identifier=12345', match: ['t-ident', 't-ident-other'], noMatch: ['s-nunez'] },
    { query: `Patient?identifier=${enc('urn:hosp|12345')}`, match: ['t-ident'], noMatch: ['t-ident-other'] },
    { query: `Patient?identifier=${enc('urn:hosp|')}`, match: ['t-ident'], noMatch: ['t-ident-other'] },
    { query: `Patient?identifier:text=${enc('medical record')}`, match: ['t-ident'], noMatch: ['t-ident-other'] },
    { query: `Patient?identifier:of-type=${enc(`${V2_0203}|MR|12345`)}`, match: ['t-ident'], noMatch: ['t-ident-other'] },
    { query: `Patient?identifier:of-type=${enc(`${V2_0203}|MR|99999`)}`, match: [], noMatch: ['t-ident', 't-ident-other'] },
    { query: `Patient?identifier:of-type=${enc(`${V2_0203}|SS|12345`)}`, match: ['t-ident-other'], noMatch: ['t-ident'] },
    { query: `Patient?identifier:of-type=${enc('|MR|12345')}`, match: ['t-ident'], noMatch: ['t-ident-other'] },
  ],
  'token terminology': [
    { query: `Observation?code:in=${enc('http://example.org/fhir/ValueSet/concepts')}`, match: ['c-sct'], noMatch: ['c-nosys', 'c-loinc', 'c-456'] },
    {
      query: `Observation?code:in=${enc('http://example.org/fhir/ValueSet/concepts/general-risks')}`,
      match: ['c-risk-general', 'c-risk-bleeding'],
      noMatch: ['c-risk-nerve', 'c-sct'],
    },
    {
      query: `Observation?code:in=${enc('http://other.org/ValueSet/all-risks')}`,
      match: ['c-risk-general', 'c-risk-bleeding', 'c-risk-nerve'],
      noMatch: ['c-sct', 'c-456'],
    },
    {
      query: `Observation?code:not-in=${enc('http://example.org/fhir/ValueSet/concepts/general-risks')}`,
      match: ['c-risk-nerve', 'c-sct', 'c-text-only'],
      noMatch: ['c-risk-general', 'c-risk-bleeding'],
    },
    {
      query: `Observation?code:below=${enc(`${RISK}|general`)}`,
      match: ['c-risk-general', 'c-risk-bleeding'],
      noMatch: ['c-risk-nerve', 'c-sct'],
    },
    {
      query: `Observation?code:below=${enc(`${RISK}|bleeding`)}`,
      match: ['c-risk-bleeding'],
      noMatch: ['c-risk-general', 'c-risk-nerve'],
    },
    {
      query: `Observation?code:above=${enc(`${RISK}|bleeding`)}`,
      match: ['c-risk-general', 'c-risk-bleeding'],
      noMatch: ['c-risk-nerve'],
    },
    {
      query: `Observation?code:above=${enc(`${RISK}|general`)}`,
      match: ['c-risk-general'],
      noMatch: ['c-risk-bleeding', 'c-risk-nerve'],
    },
  ],
  reference: [
    { query: 'Observation?subject=Patient/p1', match: ['r-rel'], noMatch: ['r-group', 'r-abs', 'r-ident', 'r-p2'] },
    { query: 'Observation?subject=p1', match: ['r-rel', 'r-group'], noMatch: ['r-abs', 'r-p2'] },
    { query: 'Observation?subject:Patient=p1', match: ['r-rel'], noMatch: ['r-group', 'r-abs'] },
    { query: 'Observation?subject:Group=p1', match: ['r-group'], noMatch: ['r-rel'] },
    { query: `Observation?subject=${enc(`${OTHER_SERVER}/Patient/p1`)}`, match: ['r-abs'], noMatch: ['r-rel', 'r-group'] },
    { query: 'Observation?subject=Patient/p1,Patient/p2', match: ['r-rel', 'r-p2'], noMatch: ['r-group'] },
    { query: `Observation?subject:identifier=${enc('urn:mrn|M1')}`, match: ['r-ident'], noMatch: ['r-rel', 'r-abs'] },
    { query: `Observation?subject:identifier=${enc('urn:mrn|M2')}`, match: [], noMatch: ['r-ident'] },
    { query: 'Observation?subject:missing=true', match: ['c-sct', 'd-day'], noMatch: ['r-rel', 'r-abs', 'r-ident'] },
    { query: 'Observation?subject:missing=false', match: ['r-rel', 'r-abs', 'r-ident'], noMatch: ['c-sct'] },
    {
      query: `Measure?depends-on=${enc('http://example.org/Library/q')}`,
      match: ['k-v1', 'k-v2', 'k-nov'],
      noMatch: ['k-other'],
    },
    {
      query: `Measure?depends-on=${enc('http://example.org/Library/q|1.0')}`,
      match: ['k-v1'],
      noMatch: ['k-v2', 'k-nov', 'k-other'],
    },
  ],
  date: [
    {
      query: 'Observation?date=2024-11-07',
      match: ['d-day', 'd-second', 'd-instant'],
      noMatch: ['d-month', 'd-year', 'd-next-midnight', 'd-prev', 'd-tz', 'd-period', 'd-open', 'c-sct'],
    },
    {
      query: 'Observation?date=eq2024-11',
      match: ['d-day', 'd-month', 'd-second', 'd-instant', 'd-next-midnight', 'd-prev', 'd-tz', 'd-period'],
      noMatch: ['d-year', 'd-open', 'd-old'],
    },
    {
      query: 'Observation?date=2024',
      match: ['d-day', 'd-month', 'd-year', 'd-second', 'd-instant', 'd-next-midnight', 'd-prev', 'd-tz', 'd-period'],
      noMatch: ['d-open', 'd-old'],
    },
    {
      query: 'Observation?date=ne2024-11-07',
      match: ['d-month', 'd-year', 'd-next-midnight', 'd-prev', 'd-tz', 'd-period', 'd-open', 'd-old'],
      noMatch: ['d-day', 'd-second', 'd-instant', 'c-sct'],
    },
    {
      query: 'Observation?date=gt2024-11-07',
      match: ['d-month', 'd-year', 'd-next-midnight', 'd-period', 'd-open'],
      noMatch: ['d-day', 'd-second', 'd-instant', 'd-prev', 'd-tz', 'd-old'],
    },
    {
      query: 'Observation?date=lt2024-11-07',
      match: ['d-month', 'd-year', 'd-prev', 'd-tz', 'd-period', 'd-old'],
      noMatch: ['d-day', 'd-second', 'd-instant', 'd-next-midnight', 'd-open'],
    },
    {
      query: 'Observation?date=ge2024-11-07',
      match: ['d-day', 'd-second', 'd-instant', 'd-month', 'd-year', 'd-next-midnight', 'd-period', 'd-open'],
      noMatch: ['d-prev', 'd-tz', 'd-old'],
    },
    {
      query: 'Observation?date=le2024-11-07',
      match: ['d-day', 'd-second', 'd-instant', 'd-month', 'd-year', 'd-prev', 'd-tz', 'd-period', 'd-old'],
      noMatch: ['d-next-midnight', 'd-open'],
    },
    {
      query: 'Observation?date=sa2024-11-07',
      match: ['d-next-midnight', 'd-open'],
      noMatch: ['d-day', 'd-instant', 'd-month', 'd-year', 'd-period', 'd-prev'],
    },
    {
      query: 'Observation?date=eb2024-11-07',
      match: ['d-prev', 'd-tz', 'd-old'],
      noMatch: ['d-day', 'd-second', 'd-month', 'd-year', 'd-period', 'd-next-midnight'],
    },
    {
      query: 'Observation?date=eb2024-11-08',
      match: ['d-day', 'd-second', 'd-instant', 'd-prev', 'd-tz'],
      noMatch: ['d-next-midnight', 'd-month', 'd-period'],
    },
    // instant precision, boundaries of the day
    { query: 'Observation?date=2024-11-07T10:30:00Z', match: ['d-second'], noMatch: ['d-day', 'd-month', 'd-instant'] },
    { query: 'Observation?date=2024-11-07T10:30Z', match: ['d-second'], noMatch: ['d-day'] },
    { query: `Observation?date=${enc('2024-11-07T10:30:00.000Z')}`, match: [], noMatch: ['d-second'] },
    { query: `Observation?date=${enc('2024-11-07T23:59:59.999Z')}`, match: ['d-instant'], noMatch: ['d-day', 'd-next-midnight'] },
    { query: `Observation?date=${enc('2024-11-07T01:00:00+02:00')}`, match: ['d-tz'], noMatch: ['d-day', 'd-prev'] },
    { query: 'Observation?date=2024-11-06', match: ['d-prev', 'd-tz'], noMatch: ['d-day', 'd-instant'] },
    {
      query: 'Observation?date=lt2024-11-08T00:00:00Z',
      match: ['d-instant', 'd-day', 'd-second'],
      noMatch: ['d-next-midnight', 'd-open'],
    },
    {
      query: 'Observation?date=ge2024-11-08T00:00:00Z',
      match: ['d-next-midnight', 'd-open', 'd-month'],
      noMatch: ['d-instant', 'd-day', 'd-second'],
    },
    {
      query: 'Observation?date=gt2024-11-07T10:30:00Z',
      match: ['d-day', 'd-instant', 'd-next-midnight'],
      noMatch: ['d-second', 'd-prev', 'd-tz'],
    },
    // an open period reaches to any later date; AND gives a window
    { query: 'Observation?date=gt2030-01-01', match: ['d-open', 'd-far'], noMatch: ['d-period', 'd-year'] },
    // the last representable day, and ranges that reach past year 9999
    { query: 'Observation?date=9999-12-31', match: ['d-far'], noMatch: ['d-open', 'd-day'] },
    { query: 'Observation?date=9999', match: ['d-far'], noMatch: ['d-open'] },
    { query: 'Observation?date=gt9999', match: [], noMatch: ['d-far', 'd-open'] },
    { query: 'Observation?date=sa9000', match: ['d-far'], noMatch: ['d-open', 'd-year'] },
    { query: 'Observation?date=eb0002', match: [], noMatch: ['d-old', 'd-far'] },
    {
      query: 'Observation?date=ge2024-11-07&date=lt2024-11-08',
      match: ['d-day', 'd-second', 'd-instant', 'd-month', 'd-year', 'd-period'],
      noMatch: ['d-prev', 'd-next-midnight', 'd-open', 'd-tz'],
    },
    { query: 'Observation?date=2024-11-06,2024-11-08', match: ['d-prev', 'd-tz', 'd-next-midnight'], noMatch: ['d-day', 'd-instant'] },
    { query: 'Observation?date:missing=true', match: ['c-sct', 'r-rel'], noMatch: ['d-day', 'd-open'] },
    { query: 'Observation?date:missing=false', match: ['d-day', 'd-open'], noMatch: ['c-sct'] },
    { query: 'Patient?birthdate=1970', match: ['s-noname'], noMatch: ['s-nunez'] },
    { query: 'Patient?birthdate:missing=true', match: ['s-nunez'], noMatch: ['s-noname'] },
  ],
  number: [
    { query: 'RiskAssessment?probability=90', match: ['n-90', 'n-90-4', 'n-89-5'], noMatch: ['n-90-5', 'n-89-4', 'n-91', 'n-none'] },
    { query: 'RiskAssessment?probability=eq90', match: ['n-90', 'n-90-4', 'n-89-5'], noMatch: ['n-90-5', 'n-89-4'] },
    { query: 'RiskAssessment?probability=90.00', match: ['n-90'], noMatch: ['n-90-4', 'n-89-5', 'n-91'] },
    { query: 'RiskAssessment?probability=90.4', match: ['n-90-4'], noMatch: ['n-90', 'n-90-5'] },
    // 1e2 has one significant figure: [95, 105) as the spec's table says
    { query: 'RiskAssessment?probability=1e2', match: ['n-96', 'n-100'], noMatch: ['n-91', 'n-90'] },
    { query: 'RiskAssessment?probability=gt90', match: ['n-90-4', 'n-90-5', 'n-91', 'n-100'], noMatch: ['n-90', 'n-89-5', 'n-none'] },
    { query: 'RiskAssessment?probability=lt90', match: ['n-89-5', 'n-89-4'], noMatch: ['n-90', 'n-90-4', 'n-none'] },
    { query: 'RiskAssessment?probability=ge90', match: ['n-90', 'n-90-4', 'n-91'], noMatch: ['n-89-5', 'n-89-4'] },
    { query: 'RiskAssessment?probability=le90', match: ['n-90', 'n-89-5', 'n-89-4'], noMatch: ['n-90-4', 'n-91'] },
    { query: 'RiskAssessment?probability=ne90', match: ['n-90-5', 'n-89-4', 'n-91', 'n-96'], noMatch: ['n-90', 'n-90-4', 'n-89-5', 'n-none'] },
    { query: 'RiskAssessment?probability=sa90', match: ['n-90-4', 'n-91'], noMatch: ['n-90', 'n-89-5'] },
    { query: 'RiskAssessment?probability=eb90', match: ['n-89-5', 'n-89-4'], noMatch: ['n-90', 'n-91'] },
    { query: 'RiskAssessment?probability=ap90', match: ['n-90', 'n-89-4', 'n-91', 'n-96'], noMatch: ['n-100'] },
    { query: 'RiskAssessment?probability=gt90&probability=lt91', match: ['n-90-4', 'n-90-5'], noMatch: ['n-90', 'n-91'] },
    { query: 'RiskAssessment?probability=lt89.5,gt99', match: ['n-89-4', 'n-100'], noMatch: ['n-90', 'n-96'] },
    { query: 'RiskAssessment?probability:missing=true', match: ['n-none'], noMatch: ['n-90'] },
    { query: 'RiskAssessment?probability:missing=false', match: ['n-90'], noMatch: ['n-none'] },
  ],
  quantity: [
    { query: 'Observation?value-quantity=5.4', match: ['q-mg', 'q-g', 'q-unit-only'], noMatch: ['q-6mg', 'q-4mg', 'c-sct'] },
    { query: `Observation?value-quantity=${enc(`5.4|${UCUM}|mg`)}`, match: ['q-mg'], noMatch: ['q-g', 'q-unit-only', 'q-6mg'] },
    { query: `Observation?value-quantity=${enc('5.4||mg')}`, match: ['q-mg', 'q-unit-only'], noMatch: ['q-g'] },
    { query: `Observation?value-quantity=${enc(`gt5.4|${UCUM}|mg`)}`, match: ['q-6mg'], noMatch: ['q-mg', 'q-g', 'q-4mg'] },
    { query: `Observation?value-quantity=${enc('lt5.4||mg')}`, match: ['q-4mg'], noMatch: ['q-mg', 'q-6mg'] },
    { query: `Observation?value-quantity=${enc('ge5.4||mg')}`, match: ['q-mg', 'q-6mg', 'q-unit-only'], noMatch: ['q-4mg', 'q-g'] },
    { query: `Observation?value-quantity=${enc('le5.4||mg')}`, match: ['q-mg', 'q-4mg'], noMatch: ['q-6mg'] },
    { query: `Observation?value-quantity=${enc('ne5.4||mg')}`, match: ['q-6mg', 'q-4mg'], noMatch: ['q-mg', 'q-g', 'q-unit-only'] },
    { query: `Observation?value-quantity=${enc(`ap5|${UCUM}|mg`)}`, match: ['q-mg', 'q-4mg'], noMatch: ['q-6mg', 'q-g'] },
    { query: 'Observation?value-quantity=5', match: ['q-mg', 'q-4mg', 'q-unit-only'], noMatch: ['q-6mg'] },
    { query: 'Observation?value-quantity=5.0', match: [], noMatch: ['q-mg', 'q-4mg'] },
    { query: 'Observation?value-quantity:missing=true', match: ['c-sct'], noMatch: ['q-mg', 'q-unit-only'] },
    { query: 'Observation?value-quantity:missing=false', match: ['q-mg', 'q-unit-only'], noMatch: ['c-sct'] },
  ],
  uri: [
    { query: `ValueSet?url=${enc('http://example.org/fhir/ValueSet/concepts')}`, match: ['u-concepts'], noMatch: ['u-general-risks', 'u-all-risks'] },
    { query: `ValueSet?url=${enc('http://example.org/fhir/ValueSet/conc')}`, match: [], noMatch: ['u-concepts'] },
    {
      query: `ValueSet?url:below=${enc('http://example.org/fhir')}`,
      match: ['u-concepts', 'u-general-risks'],
      noMatch: ['u-all-risks', 'u-fhirx', 'u-none'],
    },
    {
      query: `ValueSet?url:below=${enc('http://example.org/fhir/ValueSet/concepts')}`,
      match: ['u-concepts', 'u-general-risks'],
      noMatch: ['u-all-risks'],
    },
    {
      query: `ValueSet?url:above=${enc('http://example.org/fhir/ValueSet/concepts/general-risks/v2')}`,
      match: ['u-concepts', 'u-general-risks'],
      noMatch: ['u-all-risks', 'u-fhirx'],
    },
    { query: `ValueSet?url:above=${enc('http://example.org/fhir/ValueSet/concepts')}`, match: ['u-concepts'], noMatch: ['u-general-risks'] },
    { query: 'ValueSet?url:missing=true', match: ['u-none'], noMatch: ['u-concepts'] },
    { query: 'ValueSet?url:missing=false', match: ['u-concepts', 'u-fhirx'], noMatch: ['u-none'] },
  ],
  composite: [
    { query: `ActivityDefinition?context-type-value=${enc(`focus$${SCT}|123`)}`, match: ['x-focus-123'], noMatch: ['x-focus-456', 'x-gender-123'] },
    { query: 'ActivityDefinition?context-type-value=focus$123', match: ['x-focus-123'], noMatch: ['x-focus-456', 'x-gender-123'] },
    { query: `ActivityDefinition?context-type-value=${enc(`${USAGE}|focus$${SCT}|123`)}`, match: ['x-focus-123'], noMatch: ['x-gender-123'] },
    { query: 'ActivityDefinition?context-type-value=gender$123', match: ['x-gender-123'], noMatch: ['x-focus-123'] },
    { query: 'ActivityDefinition?context-type-value=focus$123,focus$456', match: ['x-focus-123', 'x-focus-456'], noMatch: ['x-gender-123'] },
    { query: 'ActivityDefinition?context-type-value=age$123', match: [], noMatch: ['x-focus-123'] },
    { query: 'ActivityDefinition?context-type-quantity=age$gt18', match: ['x-focus-123'], noMatch: ['x-focus-456', 'x-gender-123'] },
    { query: `ActivityDefinition?context-type-quantity=${enc(`age$le10|${UCUM}|a`)}`, match: ['x-focus-456'], noMatch: ['x-focus-123'] },
    { query: 'ActivityDefinition?context-type-value:missing=true', match: ['x-none'], noMatch: ['x-focus-123', 'x-gender-123'] },
    { query: 'ActivityDefinition?context-type-value:missing=false', match: ['x-focus-123'], noMatch: ['x-none'] },
    { query: 'ActivityDefinition?url:missing=true', match: ['x-focus-456', 'x-none'], noMatch: ['x-focus-123'] },
  ],
};

let server: TestServer;

beforeAll(async () => {
  server = await startTestServer();
  const riskCodeSystem = JSON.parse(readFileSync(path.join(__dirname, '../../../content/CodeSystem-procedure-risk.json'), 'utf8')) as Resource;
  // The resources the fixtures refer to, stored first (referential integrity on write).
  const referenced: Resource[] = [
    ...['p1', 'p2', 'p9'].map((id) => ({ resourceType: 'Patient', id }) as Resource),
    { resourceType: 'Group', id: 'p1', type: 'person', actual: true } as Resource,
  ];
  await putAll(server, [riskCodeSystem, ...referenced, ...fixtures]);
});

afterAll(async () => {
  await server.close();
});

const table = Object.entries(cases).flatMap(([type, list]) => list.map((c) => ({ type, ...c })));

test.each(table)('$type: $query', async ({ query, match, noMatch }) => {
  const ids = await matchIds(server, `${query}&_count=500`);
  for (const id of match) expect({ query, id, found: ids.includes(id) }).toEqual({ query, id, found: true });
  for (const id of noMatch) expect({ query, id, found: ids.includes(id) }).toEqual({ query, id, found: false });
});

test('every fixture id in the table exists', () => {
  const known = new Set(fixtures.map((f) => f.id));
  const named = table.flatMap((c) => [...c.match, ...c.noMatch]);
  expect(named.filter((id) => !known.has(id))).toEqual([]);
});
