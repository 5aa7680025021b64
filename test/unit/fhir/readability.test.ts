import { fleschKincaidGrade, syllableCount } from '../../../src/fhir/readability';

describe('fleschKincaidGrade', () => {
  test('follows the formula 0.39 w/s + 11.8 syl/w - 15.59 on a hand-counted text', () => {
    // 2 sentences; 9 words; syllables 6 (The cat sat on the mat) + 3 (Surgery) + 1 + 1 = 11.
    const text = 'The cat sat on the mat. Surgery takes time.';
    expect(fleschKincaidGrade(text)).toBeCloseTo(0.39 * (9 / 2) + 11.8 * (11 / 9) - 15.59, 10);
  });

  test('a bullet, a heading and a label each count as one sentence', () => {
    const asList = 'Risks:\n- Bleeding\n- Blood clots\n- Infection';
    // 4 sentences, 5 words (Risks Bleeding Blood clots Infection), syllables 1+2+1+1+3 = 8
    expect(fleschKincaidGrade(asList)).toBeCloseTo(0.39 * (5 / 4) + 11.8 * (8 / 5) - 15.59, 10);
    const asOneSentence = 'Risks are bleeding, blood clots and infection.';
    expect(fleschKincaidGrade(asList)).toBeLessThan(fleschKincaidGrade(asOneSentence) + 5);
  });

  test('long sentences of long words score higher than short sentences of short words', () => {
    const hard =
      'Foraminotomy for spinal foraminal stenosis will frequently provide considerable or incomplete amelioration of radicular symptomatology.';
    const easy = 'This surgery often helps. Pain may go away.';
    expect(fleschKincaidGrade(hard)).toBeGreaterThan(12);
    expect(fleschKincaidGrade(easy)).toBeLessThan(4);
  });

  test('an empty text has grade 0', () => {
    expect(fleschKincaidGrade('')).toBe(0);
    expect(fleschKincaidGrade('\n - \n')).toBe(0);
  });
});

describe('syllableCount', () => {
  test.each([
    ['the', 1],
    ['spine', 1],
    ['nerve', 1],
    ['surgery', 3],
    ['operation', 4],
    ['foraminotomy', 6],
    ['COVID-19', 3],
    ['2024', 1],
  ])('%s has %d', (word, count) => {
    expect(syllableCount(word)).toBe(count);
  });
});
