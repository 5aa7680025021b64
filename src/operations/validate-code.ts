import type { Coding, Parameters } from 'fhir/r4';
import { FhirError } from '../fhir/fhir-error';
import type { Operation } from './operation';
import { codingsOf, expandForOperation, part, stringParameter, valueSetOf } from './terminology-parameters';

/**
 * `ValueSet/$validate-code` (R4 ValueSet-validate-code): whether a code, coding or one of a
 * codeableConcept's codings is in the value set, and whether a given display is the code's.
 * A coding from a whole system the server does not hold cannot be checked: OperationOutcome.
 */
export const validateCodeOperation: Operation = {
  name: 'validate-code',
  resourceTypes: ['ValueSet'],
  system: false,
  type: true,
  instance: true,
  definition: 'https://patient-education.dev/fhir/OperationDefinition/validate-code',
  affectsState: false,
  documentation: 'Checks whether a code (code+system, coding or codeableConcept, optional display) is in a value set (url, valueSet or instance).',
  async execute(request) {
    const { codings } = codingsOf(request.parameters, false);
    const display = stringParameter(request.parameters, 'display');
    const valueSet = await valueSetOf(request);
    const expansion = await expandForOperation(request, valueSet);
    const name = valueSet.url ?? `ValueSet/${valueSet.id ?? ''}`;
    const problems: string[] = [];
    for (const coding of codings) {
      const found = expansion.contains(coding.system, coding.code!);
      if (found === undefined) {
        throw FhirError.of(400, 'not-supported', `${name} includes all codes of ${coding.system ?? 'a system'} and this server does not hold that code system: it cannot say whether ${describe(coding)} is valid`);
      }
      if (!found) {
        problems.push(`${describe(coding)} is not in ${name}`);
        continue;
      }
      const concept = expansion.concept(coding.system, coding.code!);
      const wanted = display ?? coding.display;
      if (wanted !== undefined && concept?.display !== undefined && wanted.toLowerCase() !== concept.display.toLowerCase()) {
        problems.push(`The display '${wanted}' is not the display of ${describe(coding)}, which is '${concept.display}'`);
        continue;
      }
      return { status: 200, body: result(true, undefined, concept?.display) };
    }
    return { status: 200, body: result(false, problems.join('; ')) };
  },
};

function describe(coding: Coding): string {
  return coding.system !== undefined ? `${coding.system}|${coding.code ?? ''}` : `'${coding.code ?? ''}'`;
}

function result(valid: boolean, message: string | undefined, display?: string): Parameters {
  return {
    resourceType: 'Parameters',
    parameter: [
      part('result', { valueBoolean: valid }),
      ...(message !== undefined ? [part('message', { valueString: message })] : []),
      ...(display !== undefined ? [part('display', { valueString: display })] : []),
    ],
  };
}
