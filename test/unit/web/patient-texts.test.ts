import { fleschKincaidGrade } from '../../../src/fhir/readability';
import { TEXTS } from '../../../src/web/patient/texts';

/**
 * The pages' fixed texts (buttons, headings, messages) read at grade 8 or lower: each full
 * sentence on its own, and all of them together (a two-word label has no meaningful grade
 * alone, so labels count in the whole).
 */
describe('plain language of the patient pages', () => {
  const sentences = Object.entries(TEXTS).filter(([, text]) => /[.!?]$/.test(text));

  test.each(sentences)('%s reads at grade 8 or lower', (_key, text) => {
    expect(fleschKincaidGrade(text)).toBeLessThanOrEqual(8);
  });

  test('all the fixed texts together read at grade 8 or lower', () => {
    const all = Object.values(TEXTS)
      .map((t) => (/[.!?]$/.test(t) ? t : `${t}.`))
      .join(' ');
    expect(fleschKincaidGrade(all)).toBeLessThanOrEqual(8);
  });
});
