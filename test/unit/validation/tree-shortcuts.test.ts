import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import fhirpath from 'fhirpath';
import r4Model from 'fhirpath/fhir-context/r4';
import type { Resource } from 'fhir/r4';
import { generateResources, planLibrary } from '../../../bench/generate-library';
import { treeShortcutFor } from '../../../src/fhir/validation/tree-shortcuts';

/**
 * The tree shortcuts say "certainly true" only where the `fhirpath` engine says true, on our
 * content, a generated library and variants of them that break each rule; and they do say it on
 * the valid content, or they would save nothing.
 */
const ROOT = path.resolve(__dirname, '../../..');
const RULE_URL = 'https://patient-education.dev/fhir/StructureDefinition/follow-up-rule';

function profileConstraint(file: string, key: string): string {
  const sd = JSON.parse(readFileSync(path.join(ROOT, 'profiles', file), 'utf8')) as {
    differential: { element: Array<{ constraint?: Array<{ key: string; expression: string }> }> };
  };
  for (const e of sd.differential.element) for (const c of e.constraint ?? []) if (c.key === key) return c.expression;
  throw new Error(`${key} not in ${file}`);
}

const QUE_2 = 'descendants().linkId.isDistinct()';
const PE_Q_1 = profileConstraint('StructureDefinition-preop-questionnaire.json', 'pe-q-1');
const PE_Q_2 = profileConstraint('StructureDefinition-preop-questionnaire.json', 'pe-q-2');
const PE_Q_3 = profileConstraint('StructureDefinition-preop-questionnaire.json', 'pe-q-3');
const PE_PD_2 = profileConstraint('StructureDefinition-education-plandefinition.json', 'pe-pd-2');
const PE_DR_2 = profileConstraint('StructureDefinition-education-documentreference.json', 'pe-dr-2');

type Json = Record<string, any>;

function engineSays(base: string, expression: string, node: unknown, resource: unknown): boolean {
  const result = fhirpath.evaluate(node, { base, expression }, { resource, rootResource: resource }, r4Model) as unknown[];
  return result.length === 0 || (result.length === 1 && result[0] === true);
}

const clone = <T>(value: T): T => JSON.parse(JSON.stringify(value)) as T;

function content(type: string): Json[] {
  const fromFiles = readdirSync(path.join(ROOT, 'content'))
    .filter((f) => f.startsWith(`${type}-`) && f.endsWith('.json'))
    .map((f) => JSON.parse(readFileSync(path.join(ROOT, 'content', f), 'utf8')) as Json);
  const generated = [...generateResources(planLibrary({ total: 600, seed: 'tree-shortcuts', patientShare: 0.5 }))]
    .filter((r: Resource) => r.resourceType === type)
    .slice(0, 15) as Json[];
  return [...fromFiles, ...generated];
}

function firstLeafItem(q: Json): Json {
  let item = q.item[0];
  while (item.item?.length) item = item.item[0];
  return item;
}

/** Variants of a valid Questionnaire, each breaking one rule, and the expressions it breaks. */
function brokenQuestionnaires(q: Json): Array<{ name: string; broken: string[]; node: Json }> {
  const variants: Array<{ name: string; broken: string[]; node: Json }> = [];
  const add = (name: string, broken: string[], change: (copy: Json) => void) => {
    const copy = clone(q);
    change(copy);
    variants.push({ name, broken, node: copy });
  };
  add('a nested linkId repeats a top-level one', [QUE_2], (c) => {
    firstLeafItem(c).linkId = c.item[c.item.length - 1].linkId;
  });
  add('a contained resource repeats a linkId', [QUE_2], (c) => {
    c.contained = [{ resourceType: 'QuestionnaireResponse', id: 'x', status: 'completed', item: [{ linkId: c.item[0].linkId }] }];
  });
  add('a nested item has no text', [PE_Q_1], (c) => {
    delete firstLeafItem(c).text;
  });
  add('an answer option is a string', [PE_Q_2], (c) => {
    firstLeafItem(c).answerOption = [{ valueString: 'yes' }];
  });
  add('an answer option has no system', [PE_Q_2], (c) => {
    firstLeafItem(c).answerOption = [{ valueCoding: { code: 'y' } }];
  });
  add('an item without a code named by a follow-up rule, outside any coded item', [PE_Q_3], (c) => {
    c.item.push({ linkId: 'loose-question', text: 'Loose', type: 'boolean' });
    c.extension = [
      ...(c.extension ?? []),
      {
        url: RULE_URL,
        extension: [{ url: 'expression', valueExpression: { language: 'text/fhirpath', expression: "item.where(linkId = 'loose-question').exists()" } }],
      },
    ];
  });
  return variants;
}

function brokenPlanDefinitions(pd: Json): Array<{ name: string; broken: string[]; node: Json }> {
  const copy = clone(pd);
  let action = copy.action[0];
  while (action.action?.length) action = action.action[0];
  delete action.description;
  return [{ name: 'a nested action has no description', broken: [PE_PD_2], node: copy }];
}

describe('tree shortcuts', () => {
  const questionnaires = content('Questionnaire');
  const planDefinitions = content('PlanDefinition');
  const documents = content('DocumentReference');

  test('are found by their exact expressions, and only those', () => {
    for (const e of [QUE_2, PE_Q_1, PE_Q_2, PE_Q_3, PE_PD_2, PE_DR_2]) expect(treeShortcutFor(e)).toBeDefined();
    expect(treeShortcutFor('descendants().linkId.isDistinct().not()')).toBeUndefined();
    expect(treeShortcutFor('repeat(item).all(code.exists())')).toBeUndefined();
  });

  test('say "true" on the valid library, as the engine does', () => {
    expect(questionnaires.length).toBeGreaterThan(5);
    expect(planDefinitions.length).toBeGreaterThan(5);
    for (const q of questionnaires) {
      for (const e of [QUE_2, PE_Q_1, PE_Q_2, PE_Q_3]) {
        expect([q.id, e, treeShortcutFor(e)!(q, q), engineSays('Questionnaire', e, q, q)]).toEqual([q.id, e, true, true]);
      }
    }
    for (const pd of planDefinitions) {
      expect([pd.id, treeShortcutFor(PE_PD_2)!(pd, pd), engineSays('PlanDefinition', PE_PD_2, pd, pd)]).toEqual([pd.id, true, true]);
    }
    let events = 0;
    for (const d of documents) {
      for (const event of d.context?.event ?? []) {
        events++;
        expect([d.id, treeShortcutFor(PE_DR_2)!(event, d), engineSays('CodeableConcept', PE_DR_2, event, d)]).toEqual([d.id, true, true]);
      }
    }
    expect(events).toBeGreaterThan(5);
  });

  test('never say "true" on a variant that breaks the rule, which the engine fails', () => {
    let checked = 0;
    for (const q of questionnaires) {
      for (const variant of brokenQuestionnaires(q)) {
        for (const e of variant.broken) {
          const says = [variant.name, e, treeShortcutFor(e)!(variant.node, variant.node), engineSays('Questionnaire', e, variant.node, variant.node)];
          expect(says).toEqual([variant.name, e, false, false]);
          checked++;
        }
        // The rules it does not break: the shortcut may pass, but only where the engine does.
        for (const e of [QUE_2, PE_Q_1, PE_Q_2, PE_Q_3].filter((x) => !variant.broken.includes(x))) {
          if (treeShortcutFor(e)!(variant.node, variant.node)) expect([variant.name, e, engineSays('Questionnaire', e, variant.node, variant.node)]).toEqual([variant.name, e, true]);
        }
      }
    }
    for (const pd of planDefinitions) {
      for (const variant of brokenPlanDefinitions(pd)) {
        expect([variant.name, treeShortcutFor(PE_PD_2)!(variant.node, variant.node), engineSays('PlanDefinition', PE_PD_2, variant.node, variant.node)]).toEqual([variant.name, false, false]);
        checked++;
      }
    }
    const codeable = treeShortcutFor(PE_DR_2)!;
    for (const node of [{ text: 'x' }, { coding: [] }, { coding: [{ code: 'a' }] }, { coding: [{ system: 'urn:s', code: 'a' }, { system: 'urn:s' }] }]) {
      expect([node, codeable(node, {}), engineSays('CodeableConcept', PE_DR_2, node, {})]).toEqual([node, false, false]);
    }
    expect(checked).toBeGreaterThan(30);
  });

  test('leave primitive extensions on linkId and nodes other than the resource to the engines', () => {
    const q = clone(questionnaires[0]);
    firstLeafItem(q)._linkId = { extension: [{ url: 'urn:x', valueString: 'y' }] };
    expect(treeShortcutFor(QUE_2)!(q, q)).toBe(false);
    expect(treeShortcutFor(PE_Q_3)!(q.item[0], q)).toBe(false);
  });
});
