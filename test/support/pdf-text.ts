import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';

/**
 * What a reader can select and copy from a PDF: the text of every page, read with Mozilla's
 * pdf.js (the text comes out only when the fonts map glyphs back to characters). Also whether it
 * is tagged. pdf.js is an ES module: it runs in a child process (pdf-text-child.mjs), because
 * importing it inside the test runner fails once a second test file has loaded it.
 */
export function pdfText(pdf: Uint8Array): Promise<{ text: string; pages: number; tagged: boolean }> {
  return new Promise((resolve, reject) => {
    const child = execFile(process.execPath, [path.join(__dirname, 'pdf-text-child.mjs')], { maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error) reject(new Error(`pdf.js could not read the PDF: ${stderr || error.message}`));
      else resolve(JSON.parse(stdout) as { text: string; pages: number; tagged: boolean });
    });
    child.stdin?.end(Buffer.from(pdf));
  });
}

/** The names of the fonts a PDF embeds (FontFile, FontFile2 or FontFile3 streams), from its bytes. */
export function embeddedFontCount(pdf: Uint8Array): number {
  return (Buffer.from(pdf).toString('latin1').match(/\/FontFile[23]?\s/g) ?? []).length;
}

export function readPdf(path: string): Uint8Array {
  return new Uint8Array(readFileSync(path));
}
