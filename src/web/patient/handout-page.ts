import type { Handout, HandoutBlock } from './handout';
import { escapeHtml } from './layout';
import { TEXTS } from './texts';

function renderBlocks(blocks: HandoutBlock[]): string {
  return blocks
    .map((block) => {
      if (block.kind === 'paragraph') return `<p>${escapeHtml(block.text)}</p>`;
      if (block.kind === 'subheading') return `<h3>${escapeHtml(block.text)}</h3>`;
      return `<ul class="list-bullet">${block.items.map((i) => `<li>${escapeHtml(i)}</li>`).join('')}</ul>`;
    })
    .join('\n');
}

/** "2026-11-25T00:00:00Z" -> "25 November 2026" (the date as written, not shifted by time zone). */
export function longDate(date: string): string {
  const m = /^(\d{4})-(\d{2})-(\d{2})/.exec(date);
  if (!m) return date;
  const months = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];
  return `${Number(m[3])} ${months[Number(m[2]) - 1]} ${m[1]}`;
}

/** The handout page's main content: title, contents list, the sections, the source credit. */
export function renderHandoutMain(handout: Handout): string {
  const pdf = `/education/${encodeURIComponent(handout.planDefinitionId)}.pdf`;
  const contents = handout.sections.map((s) => `<li><a href="#${escapeHtml(s.id)}">${escapeHtml(s.heading)}</a></li>`).join('');
  const sections = handout.sections
    .map((s) => `<section class="handout-section" aria-labelledby="${escapeHtml(s.id)}">\n<h2 id="${escapeHtml(s.id)}">${escapeHtml(s.heading)}</h2>\n${renderBlocks(s.blocks)}\n</section>`)
    .join('\n');
  const source = handout.source
    ? `<section class="source" aria-labelledby="source"><h2 id="source">${escapeHtml(TEXTS.sourceHeading)}</h2><p>${escapeHtml(handout.source.citation)}</p>${
        handout.source.url && /^https?:\/\//.test(handout.source.url) && !handout.source.citation.includes(handout.source.url)
          ? `<p><a href="${escapeHtml(handout.source.url)}">${escapeHtml(handout.source.url)}</a></p>`
          : ''
      }${handout.date ? `<p class="review-date">${escapeHtml(TEXTS.reviewed)}: ${escapeHtml(longDate(handout.date))}</p>` : ''}</section>`
    : '';
  return `<article class="handout">
<h1>${escapeHtml(handout.title)}</h1>
${renderBlocks(handout.intro).replace(/^<p>/, '<p class="lede">')}
<nav class="contents-list no-print" aria-label="${escapeHtml(TEXTS.contents)}">
<h2 class="contents-list__title">${escapeHtml(TEXTS.contents)}</h2>
<ol class="contents-list__list">${contents}</ol>
</nav>
<p class="no-print download"><a href="${escapeHtml(pdf)}" download>${escapeHtml(TEXTS.downloadPdf)}</a></p>
<p class="no-print hint">${escapeHtml(TEXTS.printHint)}</p>
${sections}
${source}
</article>`;
}
