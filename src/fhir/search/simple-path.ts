import { r4Model } from '../fhirpath-r4';
import { splitTopLevelUnion } from './search-parameter-registry';
import { isJsonObject } from '../validation/json-values';

/** Evaluates an expression on a resource's JSON: the values it selects, arrays flattened. */
export type CompiledPath = (resource: unknown) => unknown[];

interface ModelTables {
  path2Type: Record<string, string | undefined>;
  pathsDefinedElsewhere: Record<string, string | undefined>;
  choiceTypePaths: Record<string, string[] | undefined>;
  type2Parent: Record<string, string | undefined>;
}

/** One step of a plain path: an element (by its JSON name), or a filter on the current nodes. */
type Step =
  | { kind: 'element'; name: string }
  | { kind: 'equals'; name: string; literal: string }
  | { kind: 'references'; prefix: string; inside: string };

interface PlainPath {
  /** `Resource` for every type, else the one type the path starts from. */
  type: string;
  steps: Step[];
}

const REFERENCES_TO = /^\.where\(reference\.startsWith\('([A-Z][A-Za-z]+)\/'\) or reference\.contains\('\/\1\/'\)\)$/;
const ELEMENT = /^\.([a-z][A-Za-z0-9]*)/;
const EQUALS = /^\.where\(([a-z][A-Za-z0-9]*)\s*=\s*'([^'\\]*)'\)/;
const OF_TYPE = /^(.+)\.ofType\(([A-Za-z]+)\)$/;

/**
 * The plain paths of the search parameters, which a walk of the JSON evaluates faster than the
 * FHIRPath engine, giving the same values:
 * - elements, `Patient.name.given`, `Resource.meta.profile`;
 * - a choice element of one type, `Patient.deceased.ofType(dateTime)` (its JSON name,
 *   `deceasedDateTime`; the registry writes R4's `(Patient.deceased as dateTime)` so), unless
 *   another type of the choice derives from that one (`ConceptMap.source.ofType(uri)` also
 *   selects `sourceCanonical`);
 * - filters on a code or string element, `Patient.telecom.where(system='email')`,
 *   `PlanDefinition.relatedArtifact.where(type='depends-on').resource`;
 * - references narrowed to one type the way the core `patient` parameters are,
 *   `Task.for.where(reference.startsWith('Patient/') or reference.contains('/Patient/'))`;
 * - unions of those, `DocumentReference.masterIdentifier | DocumentReference.identifier`, whose
 *   equal values are kept once, as FHIRPath's `|` does.
 * Undefined for anything else (other functions, choice elements without `ofType`, elements the R4
 * model does not know, `DomainResource`), which the engine evaluates.
 */
export function compileSimplePath(expression: string): CompiledPath | undefined {
  const parts = splitTopLevelUnion(expression);
  const paths: PlainPath[] = [];
  for (const part of parts) {
    const plain = parsePlainPath(part);
    if (plain === undefined) return undefined;
    paths.push(plain);
  }
  if (paths.length === 1) return (resource) => walk(paths[0], resource);
  return (resource) => distinct(paths.flatMap((p) => walk(p, resource)));
}

function parsePlainPath(expression: string): PlainPath | undefined {
  const choice = OF_TYPE.exec(expression);
  const text = choice ? choice[1] : expression;
  const start = /^([A-Z][A-Za-z]*)/.exec(text);
  if (!start) return undefined;
  const type = start[1];
  // `Resource` names every resource type; DomainResource is left to the engine, which knows the hierarchy.
  if (type === 'DomainResource') return undefined;
  const model = r4Model() as unknown as ModelTables;
  const steps: Step[] = [];
  let modelPath = type;
  let rest = text.slice(type.length);
  while (rest !== '') {
    const references = REFERENCES_TO.exec(rest);
    const equals = EQUALS.exec(rest);
    const element = ELEMENT.exec(rest);
    if (references) {
      if (modelPath !== 'Reference') return undefined;
      steps.push({ kind: 'references', prefix: `${references[1]}/`, inside: `/${references[1]}/` });
      rest = rest.slice(references[0].length);
    } else if (equals) {
      const filtered = model.path2Type[`${modelPath}.${equals[1]}`];
      // Only a code or string element: FHIRPath's `=` on them is exact string equality.
      if (filtered !== 'code' && filtered !== 'string') return undefined;
      steps.push({ kind: 'equals', name: equals[1], literal: equals[2] });
      rest = rest.slice(equals[0].length);
    } else if (element) {
      const name = element[1];
      const elementPath = `${modelPath}.${name}`;
      rest = rest.slice(element[0].length);
      if (model.choiceTypePaths[elementPath]) {
        // A choice element only as the last step, with `.ofType(Type)`.
        if (!choice || rest !== '') return undefined;
        const types = model.choiceTypePaths[elementPath]!;
        const ofType = types.find((t) => t.toLowerCase() === choice[2].toLowerCase());
        if (ofType === undefined) return undefined;
        // `ofType(uri)` also selects a canonical, a url, ...: with such a choice the engine decides.
        if (types.some((t) => t !== ofType && specializes(model, t, ofType))) return undefined;
        steps.push({ kind: 'element', name: `${name}${ofType}` });
        return { type, steps };
      }
      const next = nextModelPath(model, elementPath);
      if (next === undefined) return undefined;
      modelPath = next;
      steps.push({ kind: 'element', name });
    } else return undefined;
  }
  if (choice || steps.length === 0 || steps[0].kind !== 'element') return undefined;
  return { type, steps };
}

/** `type` is `ancestor` or derives from it (`canonical` from `uri`). */
function specializes(model: ModelTables, type: string, ancestor: string): boolean {
  // The choice tables name a type as its JSON suffix (`Canonical`); a primitive type's name starts lower case.
  const name = (t: string) => (model.type2Parent[t] === undefined ? t.charAt(0).toLowerCase() + t.slice(1) : t);
  const target = name(ancestor);
  for (let t: string | undefined = name(type); t !== undefined; t = model.type2Parent[t]) if (t === target) return true;
  return false;
}

function nextModelPath(model: ModelTables, elementPath: string): string | undefined {
  const elementType = model.path2Type[elementPath];
  if (elementType === 'BackboneElement' || elementType === 'Element') return elementPath;
  return elementType ?? model.pathsDefinedElsewhere[elementPath];
}

function walk(path: PlainPath, resource: unknown): unknown[] {
  if (!isJsonObject(resource) || typeof resource.resourceType !== 'string') return [];
  if (path.type !== 'Resource' && resource.resourceType !== path.type) return [];
  let current: unknown[] = [resource];
  for (const step of path.steps) {
    if (step.kind === 'element') {
      const next: unknown[] = [];
      for (const node of current) {
        const value = (node as Record<string, unknown>)[step.name];
        if (Array.isArray(value)) {
          for (const v of value) if (v !== null && v !== undefined) next.push(v);
        } else if (value !== null && value !== undefined) next.push(value);
      }
      current = next;
    } else if (step.kind === 'equals') {
      current = current.filter((node) => {
        const value = isJsonObject(node) ? node[step.name] : undefined;
        // A repeated element equals a literal only as a collection of one item.
        const single = Array.isArray(value) ? (value.length === 1 ? value[0] : undefined) : value;
        return single === step.literal;
      });
    } else {
      current = current.filter((r) => {
        const reference = isJsonObject(r) ? r.reference : undefined;
        return typeof reference === 'string' && (reference.startsWith(step.prefix) || reference.includes(step.inside));
      });
    }
  }
  return current;
}

/** Values once each, equal meaning equal JSON (FHIRPath's union). */
function distinct(values: unknown[]): unknown[] {
  if (values.length < 2) return values;
  const seen = new Set<string>();
  return values.filter((v) => {
    const key = JSON.stringify(v);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
