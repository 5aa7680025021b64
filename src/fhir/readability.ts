/**
 * Flesch-Kincaid grade level of an English text (Kincaid et al. 1975):
 *   0.39 × (words / sentences) + 11.8 × (syllables / words) − 15.59
 *
 * Counting rules, chosen for patient handouts written as short paragraphs and lists:
 * - Sentences: every line is split after `.`, `!`, `?` or `:` followed by a space or the end
 *   of the line; a line (or the rest of one) without such an ending is a sentence too, so a
 *   bullet, a heading or a label counts as one sentence.
 * - Words: runs of letters and digits, joined by an apostrophe or a hyphen inside a word
 *   ("COVID-19", "don't"); a URL counts as the words between its punctuation.
 * - Syllables: groups of vowels (a e i o u y) after dropping a silent final "e", "es" or
 *   "ed"; at least one per word; a number counts as one ("COVID-19": 2 + 1).
 * An empty text (no words) has grade 0.
 */
export function fleschKincaidGrade(text: string): number {
  let sentences = 0;
  let words = 0;
  let syllables = 0;
  for (const line of text.split(/\r?\n/)) {
    const lineWords = line.match(WORD) ?? [];
    if (lineWords.length === 0) continue;
    const parts = line
      .split(/[.!?:]+(?=\s|$)/)
      .filter((part) => (part.match(WORD) ?? []).length > 0);
    sentences += Math.max(1, parts.length);
    words += lineWords.length;
    for (const word of lineWords) syllables += syllableCount(word);
  }
  if (words === 0) return 0;
  return 0.39 * (words / sentences) + 11.8 * (syllables / words) - 15.59;
}

const WORD = /[A-Za-z0-9]+(?:['’-][A-Za-z0-9]+)*/g;

/** Syllables of one word (the usual vowel-group estimate). */
export function syllableCount(word: string): number {
  return word
    .toLowerCase()
    .split(/['’-]/)
    .filter((part) => part.length > 0)
    .reduce((sum, part) => {
      if (part.length <= 3 || !/[a-z]/.test(part)) return sum + 1;
      const stem = part.replace(/(?:[^laeiouy]es|[^laeiouy]ed|[^laeiouy]e)$/, (m) => m[0]).replace(/^y/, '');
      return sum + Math.max(1, (stem.match(/[aeiouy]{1,2}/g) ?? []).length);
    }, 0);
}
