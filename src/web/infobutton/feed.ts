import { randomUUID } from 'node:crypto';
import type { InfobuttonRequest } from './infobutton-request';
import { oidOf } from './infobutton-request';
import type { KnowledgeEntry } from './knowledge';

/** Feed-level facts: what was asked (as categories), when, and by whom it is answered. */
export interface FeedHead {
  title: string;
  subtitle: string;
  updated: string;
  id: string;
  categories: { scheme: string; term: string }[];
  authorName: string;
  authorUri: string;
}

export function feedHead(request: InfobuttonRequest, entries: KnowledgeEntry[], publicOrigin: string): FeedHead {
  const first = request.criteria[0];
  const asked = first.code !== undefined ? `${first.code}${first.codeSystem ? ` (${first.codeSystem})` : ''}` : `"${first.displayName ?? ''}"`;
  const categories: FeedHead['categories'] = [];
  request.criteria.forEach((c, n) => {
    const suffix = n === 0 ? '' : String(n);
    if (c.code !== undefined) categories.push({ scheme: `mainSearchCriteria.v.c${suffix}`, term: c.code });
    if (c.system !== undefined) categories.push({ scheme: `mainSearchCriteria.v.cs${suffix}`, term: oidOf(c.system) ?? c.codeSystem ?? c.system });
    if (c.code === undefined && c.displayName !== undefined) categories.push({ scheme: `mainSearchCriteria.v.dn${suffix}`, term: c.displayName });
  });
  categories.push({ scheme: 'informationRecipient', term: request.recipient });
  return {
    title: 'Patient education',
    subtitle: `${entries.length === 0 ? 'No' : entries.length} education material${entries.length === 1 ? '' : 's'} for ${asked}`,
    updated: new Date().toISOString(),
    id: `urn:uuid:${randomUUID()}`,
    categories,
    authorName: 'Patient education FHIR server',
    authorUri: publicOrigin,
  };
}

function xml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[c]!);
}

/** The Atom feed (RFC 4287) of the Infobutton SOA guide, in MedlinePlus Connect's shape. */
export function atomFeed(head: FeedHead, entries: KnowledgeEntry[]): string {
  const lines = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    '<feed xmlns="http://www.w3.org/2005/Atom" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xml:lang="en">',
    `<title type="text">${xml(head.title)}</title>`,
    `<subtitle type="text">${xml(head.subtitle)}</subtitle>`,
    `<author><name>${xml(head.authorName)}</name><uri>${xml(head.authorUri)}</uri></author>`,
    `<updated>${head.updated}</updated>`,
    ...head.categories.map((c) => `<category scheme="${xml(c.scheme)}" term="${xml(c.term)}"/>`),
    `<id>${head.id}</id>`,
    ...entries.map((e) =>
      [
        '<entry xml:lang="en">',
        `<title type="text">${xml(e.title)}</title>`,
        `<link href="${xml(e.link)}" rel="alternate" type="text/html" title="${xml(e.title)}"/>`,
        `<id>${xml(e.id)}</id>`,
        `<updated>${xml(e.updated)}</updated>`,
        `<summary type="html">${xml(e.summary)}</summary>`,
        '</entry>',
      ].join(''),
    ),
    '</feed>',
  ];
  return `${lines.join('\n')}\n`;
}

/** The same feed as MedlinePlus Connect's JSON: text content under `_value`, arrays for entry and link. */
export function jsonFeed(head: FeedHead, entries: KnowledgeEntry[]): unknown {
  return {
    feed: {
      xsi: 'http://www.w3.org/2001/XMLSchema-instance',
      base: head.authorUri,
      lang: 'en',
      title: { _value: head.title, type: 'text' },
      subtitle: { _value: head.subtitle, type: 'text' },
      author: { name: { _value: head.authorName }, uri: { _value: head.authorUri } },
      updated: { _value: head.updated },
      category: head.categories,
      id: { _value: head.id },
      entry: entries.map((e) => ({
        lang: 'en',
        title: { _value: e.title, type: 'text' },
        link: [{ href: e.link, rel: 'alternate', type: 'text/html', title: e.title }],
        id: { _value: e.id },
        updated: { _value: e.updated },
        summary: { _value: e.summary, type: 'html' },
      })),
    },
  };
}

/** A short page listing the matches (none, or more than one). */
export function listPage(head: FeedHead, entries: KnowledgeEntry[]): string {
  const items = entries.map((e) => `<li><a href="${xml(e.link)}">${xml(e.title)}</a></li>`).join('\n');
  const body = entries.length > 0 ? `<ul>\n${items}\n</ul>` : '<p>We have no education material for this yet. Ask your care team.</p>';
  return `<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${xml(head.title)}</title></head>
<body>
<main>
<h1>${xml(head.title)}</h1>
<p>${xml(head.subtitle)}</p>
${body}
</main>
</body>
</html>
`;
}
