/**
 * Flesch-Kincaid grade level of an English text:
 * 0.39 × (words / sentences) + 11.8 × (syllables / words) − 15.59.
 * Syllables are counted with the usual vowel-group heuristic (a silent final "e" dropped,
 * at least one per word); numbers count as one word of one syllable.
 */
export function fleschKincaidGrade(text: string): number {
  const words = text.match(/[A-Za-z0-9]+(?:['’][A-Za-z]+)*/g) ?? [];
  if (words.length === 0) return 0;
  const sentences = Math.max(1, (text.match(/[.!?]+(?=\s|$)/g) ?? []).length || 1);
  const syllables = words.reduce((sum, word) => sum + syllableCount(word), 0);
  return 0.39 * (words.length / sentences) + 11.8 * (syllables / words.length) - 15.59;
}

function syllableCount(word: string): number {
  const w = word.toLowerCase().replace(/['’].*$/, '');
  if (/^\d+$/.test(w)) return 1;
  if (w.length <= 3) return 1;
  const trimmed = w.replace(/(?:[^laeiouy]es|ed|[^laeiouy]e)$/, '').replace(/^y/, '');
  const groups = trimmed.match(/[aeiouy]{1,2}/g);
  return Math.max(1, groups?.length ?? 0);
}
