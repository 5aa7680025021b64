import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';

/*
 * The fingerprint of the source article that the "no sentence copied" test compares the
 * library's texts with: the SHA-1 (first 12 hex digits) of every run of RUN words of the
 * article's body, lowercased, a word being a run of letters and digits. The article is not kept
 * in the repository (it is copyrighted); test/fixtures/source-shingles.json holds only the hashes.
 * Lists of names the library repeats on purpose (the alternative names, the blood thinners, the
 * illnesses, the places pain is felt) are cut out of the article first.
 *
 * Regenerate: npx tsx test/support/source-shingles.ts <article.txt> > test/fixtures/source-shingles.json
 */
export const RUN = 7;
const NAME_LISTS = [
  'Intervertebral foramina; Spine surgery - foraminotomy; Back pain - foraminotomy; Stenosis - foraminotomy',
  'aspirin, ibuprofen (Advil, Motrin), naproxen (Aleve, Naprosyn), and vitamin E',
  'COVID-19, a cold, flu, fever, herpes breakout, or other illness',
  'thigh, calf, lower back, shoulder, arms or hands',
];

/** Hash of each run of RUN words of a text -> the words, so that a test can say what was copied. */
export function shingles(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const part of text.split('\u0000')) {
    const words = part.toLowerCase().match(/[a-z0-9]+/g) ?? [];
    for (let i = 0; i + RUN <= words.length; i++) {
      const run = words.slice(i, i + RUN).join(' ');
      out.set(createHash('sha1').update(run).digest('hex').slice(0, 12), run);
    }
  }
  return out;
}

if (require.main === module) {
  const article = readFileSync(process.argv[2], 'utf8');
  const start = article.indexOf('Foraminotomy is surgery');
  const end = article.indexOf('References', start);
  if (start < 0 || end < 0) throw new Error('not the foraminotomy article');
  let body = article.slice(start, end);
  for (const list of NAME_LISTS) body = body.split(list).join('\u0000');
  const fingerprint = {
    source: 'https://medlineplus.gov/ency/article/007390.htm (review date 2024-11-07)',
    method: `SHA-1 (first 12 hex digits) of every run of ${RUN} lowercased words of the article body, name lists cut out`,
    hashes: [...shingles(body).keys()].sort(),
  };
  process.stdout.write(JSON.stringify(fingerprint, null, 1) + '\n');
}
