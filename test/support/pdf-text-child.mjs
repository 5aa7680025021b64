// Reads a PDF on stdin and prints what a reader can select from it, as JSON: the text of every
// page, the page count and whether it is tagged. Run in its own process by pdf-text.ts, so that
// pdf.js (an ES module) never goes through the test runner's module registry.
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const pdfjs = await import(require.resolve('pdfjs-dist/legacy/build/pdf.mjs'));
const chunks = [];
for await (const chunk of process.stdin) chunks.push(chunk);
const doc = await pdfjs.getDocument({ data: new Uint8Array(Buffer.concat(chunks)), isEvalSupported: false, verbosity: 0 }).promise;
const parts = [];
for (let n = 1; n <= doc.numPages; n++) {
  const content = await (await doc.getPage(n)).getTextContent();
  parts.push(content.items.map((i) => i.str ?? '').join(' '));
}
const tagged = (await doc.getMarkInfo())?.Marked === true;
const pages = doc.numPages;
await doc.destroy();
process.stdout.write(JSON.stringify({ text: parts.join('\n').replace(/\s+/g, ' '), pages, tagged }));
