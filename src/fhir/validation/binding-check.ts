import type { OperationOutcomeIssue } from 'fhir/r4';
import { validationIssue } from './issues';
import { isJsonObject } from './json-values';
import type { Terminology } from './terminology';

/**
 * Checks a coded value against a required binding (https://hl7.org/fhir/R4/terminologies.html#required).
 * `type` is the FHIR type of the value (code, Coding, CodeableConcept; others are not coded and
 * pass). Returns no issue when the value set cannot be expanded locally: that binding is
 * unchecked, not failed.
 */
export function checkRequiredBinding(
  terminology: Terminology,
  valueSetUrl: string,
  type: string,
  value: unknown,
  location: string,
  context = '',
): OperationOutcomeIssue | undefined {
  const codes = terminology.expand(valueSetUrl);
  if (!codes) return undefined;
  const prefix = context ? `${context}: ` : '';
  const valueSet = valueSetUrl.split('|')[0];

  if (type === 'code') {
    if (typeof value !== 'string' || codes.contains(undefined, value)) return undefined;
    return validationIssue(
      'code-invalid',
      `${prefix}The code '${value}' is not in the required value set ${valueSet}`,
      location,
    );
  }
  if (type === 'Coding') {
    const coding = codingOf(value);
    if (!coding || codes.contains(coding.system, coding.code)) return undefined;
    return validationIssue(
      'code-invalid',
      `${prefix}The coding ${formatCoding(coding)} is not in the required value set ${valueSet}`,
      location,
    );
  }
  if (type === 'CodeableConcept') {
    const codings = isJsonObject(value) && Array.isArray(value.coding) ? value.coding.map(codingOf) : [];
    const present = codings.filter((c): c is Coding => c !== undefined);
    if (present.some((c) => codes.contains(c.system, c.code))) return undefined;
    const found = present.length ? `none of ${present.map(formatCoding).join(', ')} is` : 'no coding is';
    return validationIssue(
      'code-invalid',
      `${prefix}A code from the required value set ${valueSet} is needed; ${found} in it`,
      location,
    );
  }
  return undefined;
}

interface Coding {
  system: string | undefined;
  code: string;
}

function codingOf(value: unknown): Coding | undefined {
  if (!isJsonObject(value) || typeof value.code !== 'string') return undefined;
  return { system: typeof value.system === 'string' ? value.system : undefined, code: value.code };
}

function formatCoding(coding: Coding): string {
  return coding.system ? `${coding.system}|${coding.code}` : `'${coding.code}'`;
}
