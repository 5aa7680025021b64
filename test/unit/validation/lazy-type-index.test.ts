import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { OperationOutcomeIssue } from 'fhir/r4';
import { INVALID_DIR, VALID_DIR, contentResources, readJsonFile } from './fixtures';

/* eslint-disable @typescript-eslint/no-require-imports -- each validator needs its own copy of @medplum/core's global index */

type Validate = (resource: unknown) => OperationOutcomeIssue[];

/**
 * A validator in a module registry of its own (a fresh @medplum/core index), as in a new server
 * process; with `indexEveryType`, every core resource type is indexed up front as before.
 */
function isolatedValidator(indexEveryType: boolean): Validate {
  let validate: Validate | undefined;
  jest.isolateModules(() => {
    const { sharedValidator } = require('./fixtures') as typeof import('./fixtures');
    const validator = sharedValidator();
    if (indexEveryType) {
      const core = require('@medplum/core') as typeof import('@medplum/core');
      const { readCoreStructureDefinitions } =
        require('../../../src/fhir/core-definitions') as typeof import('../../../src/fhir/core-definitions');
      const definitions = readCoreStructureDefinitions('fhir/r4/profiles-resources.json');
      core.indexStructureDefinitionBundle(
        definitions as Parameters<typeof core.indexStructureDefinitionBundle>[0],
      );
    }
    validate = (resource) => validator.validate(resource);
  });
  return validate!;
}

describe('core resource types indexed when first met', () => {
  const resources: Array<{ name: string; resource: unknown }> = [
    ...readdirSync(INVALID_DIR)
      .filter((f) => f.endsWith('.json') && !f.endsWith('.expected.json'))
      .sort()
      .map((f) => ({ name: f, resource: readJsonFile(join(INVALID_DIR, f)) })),
    ...readdirSync(VALID_DIR)
      .sort()
      .map((f) => ({ name: f, resource: readJsonFile(join(VALID_DIR, f)) })),
    ...contentResources().map((c) => ({ name: c.file, resource: c.resource })),
    {
      // types met only inside another resource: a Bundle entry, a contained resource, a Parameters part
      name: 'nested types',
      resource: {
        resourceType: 'Bundle',
        type: 'collection',
        entry: [
          { resource: { resourceType: 'Patient', gender: 'tomato', unknownElement: 1 } },
          {
            resource: {
              resourceType: 'Parameters',
              parameter: [{ name: 'p', resource: { resourceType: 'Observation', status: 'final' } }],
            },
          },
          {
            resource: {
              resourceType: 'CarePlan',
              status: 'active',
              intent: 'plan',
              subject: { reference: '#p' },
              contained: [{ resourceType: 'Practitioner', id: 'p', name: 'not a HumanName' }],
            },
          },
        ],
      },
    },
  ];

  it('give the same issues as indexing every type at start-up', () => {
    const lazy = isolatedValidator(false);
    const eager = isolatedValidator(true);
    const lazyIssues = resources.map((r) => ({ name: r.name, issues: lazy(r.resource) }));
    const eagerIssues = resources.map((r) => ({ name: r.name, issues: eager(r.resource) }));
    expect(lazyIssues).toEqual(eagerIssues);
    const nested = lazyIssues[lazyIssues.length - 1].issues;
    expect(nested.some((i) => i.expression?.some((e) => e.startsWith('Bundle.entry[0].resource')))).toBe(
      true,
    );
    expect(nested.some((i) => i.expression?.some((e) => e.includes('contained[0]')))).toBe(true);
  });

  it('still refuses a type R4 does not define', () => {
    const lazy = isolatedValidator(false);
    expect(lazy({ resourceType: 'Procedure' })).not.toEqual(lazy({ resourceType: 'NoSuchType' }));
    expect(lazy({ resourceType: 'NoSuchType' })[0].diagnostics).toContain(
      "Unknown resource type 'NoSuchType'",
    );
  });
});
