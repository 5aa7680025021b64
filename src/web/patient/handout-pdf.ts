import { dirname, join } from 'node:path';
import PDFDocument from 'pdfkit';
import type { Handout, HandoutBlock } from './handout';
import { longDate } from './handout-page';
import { TEXTS } from './texts';

/** DejaVu Sans (free licence, wide Unicode coverage), embedded as a subset in every PDF. */
const FONT_DIR = join(dirname(require.resolve('dejavu-fonts-ttf/package.json')), 'ttf');
const REGULAR = join(FONT_DIR, 'DejaVuSans.ttf');
const BOLD = join(FONT_DIR, 'DejaVuSans-Bold.ttf');

const TEXT_COLOUR = '#212b32';

type Doc = PDFKit.PDFDocument;
type Struct = PDFKit.PDFStructureElement;

function paragraph(doc: Doc, parent: Struct, text: string, size = 12): void {
  parent.add(doc.struct('P', {}, () => doc.font('Body').fontSize(size).fillColor(TEXT_COLOUR).text(text, { paragraphGap: 6, lineGap: 2 })));
}

function heading(doc: Doc, parent: Struct, tag: 'H1' | 'H2' | 'H3', text: string): void {
  const size = tag === 'H1' ? 22 : tag === 'H2' ? 16 : 13;
  if (tag !== 'H1') doc.moveDown(0.6);
  // Keep a heading with the lines that follow it.
  if (doc.y > doc.page.height - doc.page.margins.bottom - size * 5) doc.addPage();
  parent.add(doc.struct(tag, {}, () => doc.font('Bold').fontSize(size).fillColor(TEXT_COLOUR).text(text, { paragraphGap: 4 })));
}

function list(doc: Doc, parent: Struct, items: string[]): void {
  const listElement = doc.struct('L');
  parent.add(listElement);
  for (const item of items) {
    const li = doc.struct('LI');
    listElement.add(li);
    li.add(doc.struct('Lbl', {}, () => doc.font('Body').fontSize(12).text('•', doc.page.margins.left + 6, doc.y, { continued: false, lineBreak: false })));
    li.add(
      doc.struct('LBody', {}, () =>
        doc
          .font('Body')
          .fontSize(12)
          .text(item, doc.page.margins.left + 20, doc.y, { width: doc.page.width - doc.page.margins.left - doc.page.margins.right - 20, paragraphGap: 4, lineGap: 2 }),
      ),
    );
    li.end();
  }
  listElement.end();
  doc.x = doc.page.margins.left;
  doc.moveDown(0.3);
}

function blocks(doc: Doc, parent: Struct, content: HandoutBlock[]): void {
  for (const block of content) {
    if (block.kind === 'paragraph') paragraph(doc, parent, block.text);
    else if (block.kind === 'subheading') heading(doc, parent, 'H3', block.text);
    else list(doc, parent, block.items);
  }
}

/**
 * The handout as a tagged PDF (headings, paragraphs and lists in the structure tree), with
 * its font embedded and its text selectable: the same sections as the page, in the same order.
 */
export function handoutPdf(handout: Handout): Promise<Buffer> {
  const doc = new PDFDocument({
    size: 'A4',
    margins: { top: 56, bottom: 56, left: 56, right: 56 },
    tagged: true,
    lang: handout.language,
    displayTitle: true,
    pdfVersion: '1.7',
    info: { Title: handout.title, Subject: handout.title, Creator: TEXTS.serviceName },
    autoFirstPage: true,
  });
  const chunks: Buffer[] = [];
  doc.on('data', (chunk: Buffer) => chunks.push(chunk));
  const done = new Promise<Buffer>((resolve, reject) => {
    doc.on('end', () => resolve(Buffer.concat(chunks)));
    doc.on('error', reject);
  });
  doc.registerFont('Body', REGULAR);
  doc.registerFont('Bold', BOLD);
  const root = doc.struct('Document');
  doc.addStructure(root);
  heading(doc, root, 'H1', handout.title);
  blocks(doc, root, handout.intro);
  for (const section of handout.sections) {
    const part = doc.struct('Sect');
    root.add(part);
    heading(doc, part, 'H2', section.heading);
    blocks(doc, part, section.blocks);
    part.end();
  }
  if (handout.source) {
    const part = doc.struct('Sect');
    root.add(part);
    heading(doc, part, 'H2', TEXTS.sourceHeading);
    paragraph(doc, part, handout.source.citation, 10);
    if (handout.date) paragraph(doc, part, `${TEXTS.reviewed}: ${longDate(handout.date)}`, 10);
    part.end();
  }
  root.end();
  doc.end();
  return done;
}
