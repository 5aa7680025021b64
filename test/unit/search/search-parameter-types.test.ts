import { readCoreBundle } from '../../../src/fhir/core-definitions';
import { emptyIndexValues } from '../../../src/fhir/search/index-values';
import { SEARCH_PARAMETER_TYPES } from '../../../src/fhir/search/types';
import { INDEX_TABLES } from '../../../src/store/index/write-index-rows';
import { SEARCH_TYPE_STORAGE } from '../../../src/store/search/types';
import type { SearchParameter } from 'fhir/r4';

const fhirTypes = Object.keys(SEARCH_PARAMETER_TYPES);
const storeTypes = Object.keys(SEARCH_TYPE_STORAGE);

describe('the search-parameter type tables', () => {
  test('every type parsed and extracted in fhir/search/types has its SQL in store/search/types, and no other type does', () => {
    expect(storeTypes).toEqual(fhirTypes);
  });

  test('each type writes its own index table, and that table is one the index writer fills and clears', () => {
    const tables = Object.values(SEARCH_TYPE_STORAGE).map((s) => s.rows.table);
    expect(new Set(tables).size).toBe(tables.length);
    for (const table of tables) expect(INDEX_TABLES).toContain(table);
  });

  test('a type is sortable in the parser exactly when its SQL has an ORDER BY source', () => {
    for (const type of fhirTypes) {
      const sortable = SEARCH_PARAMETER_TYPES[type as keyof typeof SEARCH_PARAMETER_TYPES].sortable;
      const sort = SEARCH_TYPE_STORAGE[type as keyof typeof SEARCH_TYPE_STORAGE].sort;
      expect({ type, sortable }).toEqual({ type, sortable: sort !== undefined });
    }
  });

  test('a resource starts with an empty list of index values for every type', () => {
    const values = emptyIndexValues();
    for (const type of fhirTypes) expect(values[type as keyof typeof SEARCH_PARAMETER_TYPES]).toEqual([]);
  });

  test('every type of the R4 core search parameters has a module, except special (answered by the server itself)', () => {
    const coreTypes = new Set(readCoreBundle<SearchParameter>('fhir/r4/search-parameters.json', ['SearchParameter']).map((sp) => sp.type));
    expect([...coreTypes].filter((t) => !fhirTypes.includes(t)).sort()).toEqual(['special']);
  });
});
