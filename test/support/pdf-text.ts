import { readFileSync } from 'node:fs';

interface TextItem {
  str?: string;
}
interface PdfPage {
  getTextContent(): Promise<{ items: TextItem[] }>;
}
interface PdfDocument {
  numPages: number;
  getPage(n: number): Promise<PdfPage>;
  getMarkInfo(): Promise<{ Marked?: boolean } | null>;
  destroy(): Promise<void>;
}
interface PdfJs {
  getDocument(options: { data: Uint8Array; useSystemFonts?: boolean; isEvalSupported?: boolean; verbosity?: number }): { promise: Promise<PdfDocument> };
}

/** Mozilla's pdf.js (an ES module) loaded from CommonJS tests. */
const importModule = new Function('specifier', 'return import(specifier)') as (specifier: string) => Promise<PdfJs>;

/**
 * What a reader can select and copy from a PDF: the text of every page, read with pdf.js (the
 * text comes out only when the fonts map glyphs back to characters). Also whether it is tagged.
 */
export async function pdfText(pdf: Uint8Array): Promise<{ text: string; pages: number; tagged: boolean }> {
  const pdfjs = await importModule(require.resolve('pdfjs-dist/legacy/build/pdf.mjs'));
  const doc = await pdfjs.getDocument({ data: new Uint8Array(pdf), isEvalSupported: false, verbosity: 0 }).promise;
  const parts: string[] = [];
  for (let n = 1; n <= doc.numPages; n++) {
    const content = await (await doc.getPage(n)).getTextContent();
    parts.push(content.items.map((i) => i.str ?? '').join(' '));
  }
  const tagged = (await doc.getMarkInfo())?.Marked === true;
  const pages = doc.numPages;
  await doc.destroy();
  return { text: parts.join('\n').replace(/\s+/g, ' '), pages, tagged };
}

/** The names of the fonts a PDF embeds (FontFile, FontFile2 or FontFile3 streams), from its bytes. */
export function embeddedFontCount(pdf: Uint8Array): number {
  return (Buffer.from(pdf).toString('latin1').match(/\/FontFile[23]?\s/g) ?? []).length;
}

export function readPdf(path: string): Uint8Array {
  return new Uint8Array(readFileSync(path));
}
