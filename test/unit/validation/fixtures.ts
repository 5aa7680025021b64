import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import type { Resource } from 'fhir/r4';
import {
  createValidator,
  loadConformanceResources,
  type ResourceValidator,
} from '../../../src/fhir/validation';

export const ROOT = join(__dirname, '..', '..', '..');
export const PROFILES_DIR = join(ROOT, 'profiles');
export const CONTENT_DIR = join(ROOT, 'content');
export const VALID_DIR = join(ROOT, 'test', 'fixtures', 'valid');
export const INVALID_DIR = join(ROOT, 'test', 'fixtures', 'invalid');

export function readJsonFile<T = unknown>(path: string): T {
  return JSON.parse(readFileSync(path, 'utf8')) as T;
}

/** Every `.json` file under a directory (recursively), relative to the repository root. */
export function jsonFilesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  const files: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) files.push(...jsonFilesUnder(path));
    else if (name.endsWith('.json')) files.push(relative(ROOT, path));
  }
  return files;
}

/** FHIR resources of content/: JSON files holding a resource, and the entries of Bundles. */
export function contentResources(): Array<{ file: string; resource: Resource }> {
  const result: Array<{ file: string; resource: Resource }> = [];
  for (const file of jsonFilesUnder(CONTENT_DIR)) {
    const parsed = readJsonFile<Record<string, unknown>>(join(ROOT, file));
    if (typeof parsed.resourceType !== 'string') continue;
    result.push({ file, resource: parsed as unknown as Resource });
  }
  return result;
}

let shared: ResourceValidator | undefined;

/**
 * One validator for the whole test file, built the way the server builds it: the conformance
 * package, plus the terminology the content library defines (the procedure-risk code system).
 */
export function sharedValidator(): ResourceValidator {
  if (!shared) {
    const contentTerminology = contentResources()
      .map((c) => c.resource)
      .filter((r) => r.resourceType === 'CodeSystem' || r.resourceType === 'ValueSet');
    shared = createValidator([...loadConformanceResources(PROFILES_DIR), ...contentTerminology]);
  }
  return shared;
}
