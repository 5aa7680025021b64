import { readdirSync } from 'node:fs';
import type { CodeSystem, StructureDefinition, ValueSet } from 'fhir/r4';
import {
  DEFINITIONS_CACHE_DIR,
  readCoreBundle,
  readCoreStructureDefinitions,
  readCoreTerminology,
  stripStructureDefinition,
  stripTerminology,
} from '../../../src/fhir/core-definitions';

describe('stripped core definitions kept in .cache/definitions', () => {
  it('are what stripping the bundle gives, read from the cache the second time', () => {
    const file = 'fhir/r4/profiles-types.json';
    const fresh = readCoreBundle<StructureDefinition>(file, ['StructureDefinition']).map(
      stripStructureDefinition,
    );
    readCoreStructureDefinitions(file); // writes the cache when it is missing
    expect(
      readdirSync(DEFINITIONS_CACHE_DIR).some((f) => /^profiles-types-[0-9a-f]{16}\.json$/.test(f)),
    ).toBe(true);
    expect(readCoreStructureDefinitions(file)).toEqual(fresh);
  });

  it('keep the codes of terminology and drop its prose', () => {
    const file = 'fhir/r4/v3-codesystems.json';
    const fresh = readCoreBundle<ValueSet | CodeSystem>(file, ['ValueSet', 'CodeSystem']).map(
      stripTerminology,
    );
    readCoreTerminology(file);
    const cached = readCoreTerminology(file);
    expect(cached).toEqual(fresh);
    const actCode = cached.find(
      (r): r is CodeSystem =>
        r.resourceType === 'CodeSystem' && r.url === 'http://terminology.hl7.org/CodeSystem/v3-ActCode',
    );
    expect(actCode?.concept?.length).toBeGreaterThan(0);
    expect(actCode?.description).toBeUndefined();
  });
});
