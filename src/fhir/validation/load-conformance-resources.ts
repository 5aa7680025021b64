import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Resource } from 'fhir/r4';
import { isJsonObject } from './json-values';

/**
 * Reads the conformance resources of a FHIR package directory (profiles/): every `*.json` file
 * holding a resource, the package manifest (package.json) and index files excepted.
 * Throws on a file that is not valid JSON, so that a broken package stops the start-up.
 */
export function loadConformanceResources(directory: string): Resource[] {
  const resources: Resource[] = [];
  for (const file of readdirSync(directory).sort()) {
    if (!file.endsWith('.json') || file === 'package.json' || file.startsWith('.')) continue;
    const parsed: unknown = JSON.parse(readFileSync(join(directory, file), 'utf8'));
    if (isJsonObject(parsed) && typeof parsed.resourceType === 'string')
      resources.push(parsed as unknown as Resource);
  }
  return resources;
}
