import type { Attachment, DocumentReference, PlanDefinition, RelatedArtifact } from 'fhir/r4';
import type { ResourceService } from '../../services/resource-service';
import { localBases, parseReference, readReference, searchResources } from '../../workflows/fhir-lookup';

/** One block of a handout section, in reading order. */
export type HandoutBlock = { kind: 'paragraph'; text: string } | { kind: 'list'; items: string[] } | { kind: 'subheading'; text: string };

export interface HandoutSection {
  /** Anchor of the section on the handout page (from its heading). */
  id: string;
  heading: string;
  blocks: HandoutBlock[];
}

/** A handout as the pages and the PDF show it: read from the handout DocumentReference, never kept elsewhere. */
export interface Handout {
  planDefinitionId: string;
  documentReferenceId: string;
  title: string;
  language: string;
  /** Blocks before the first section heading. */
  intro: HandoutBlock[];
  sections: HandoutSection[];
  /** The source credit as the resources give it. */
  source: { citation: string; url: string | undefined } | undefined;
  /** Review or last-change date of the handout (DocumentReference.date). */
  date: string | undefined;
}

const SECTION_SYSTEM = 'https://patient-education.dev/fhir/CodeSystem/education-section';
const IDENTIFIER_SYSTEM = 'urn:ietf:rfc:3986';
const RELATED_ARTIFACT_EXTENSION = 'https://patient-education.dev/fhir/StructureDefinition/related-artifact';

/** Anchor for a heading: lower case words joined by hyphens ("What are the risks?" -> "what-are-the-risks"). */
export function sectionAnchor(heading: string): string {
  return heading
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 64);
}

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: ' ' };

function decodeEntities(text: string): string {
  return text.replace(/&(#x[0-9a-f]+|#\d+|[a-z]+);/gi, (whole, name: string) => {
    if (name.startsWith('#x') || name.startsWith('#X')) return String.fromCodePoint(parseInt(name.slice(2), 16));
    if (name.startsWith('#')) return String.fromCodePoint(parseInt(name.slice(1), 10));
    return ENTITIES[name.toLowerCase()] ?? whole;
  });
}

function clean(text: string): string {
  return decodeEntities(text.replace(/<[^>]*>/g, '')).replace(/\s+/g, ' ').trim();
}

/**
 * The structure of the handout's HTML: h1 the title, h2 the sections, h3 their parts,
 * paragraphs and lists. Only text is kept (inline markup is dropped), so whatever the stored
 * HTML holds, the page re-emits nothing but escaped text in its own elements.
 */
export function parseHandoutHtml(html: string): { title: string | undefined; intro: HandoutBlock[]; sections: HandoutSection[] } {
  const body = /<body[^>]*>([\s\S]*)<\/body>/i.exec(html)?.[1] ?? /<div[^>]*>([\s\S]*)<\/div>\s*$/i.exec(html.trim())?.[1] ?? html;
  const withoutScripts = body.replace(/<(script|style)\b[\s\S]*?<\/\1>/gi, '');
  let title: string | undefined;
  const intro: HandoutBlock[] = [];
  const sections: HandoutSection[] = [];
  const target = () => sections[sections.length - 1]?.blocks ?? intro;
  const pattern = /<(h1|h2|h3|h4|p|ul|ol)\b[^>]*>([\s\S]*?)<\/\1>/gi;
  for (const match of withoutScripts.matchAll(pattern)) {
    const tag = match[1].toLowerCase();
    const inner = match[2];
    if (tag === 'ul' || tag === 'ol') {
      const items = [...inner.matchAll(/<li\b[^>]*>([\s\S]*?)<\/li>/gi)].map((m) => clean(m[1])).filter((t) => t !== '');
      if (items.length > 0) target().push({ kind: 'list', items });
      continue;
    }
    const text = clean(inner);
    if (text === '') continue;
    if (tag === 'h1') {
      if (title === undefined) title = text;
      else target().push({ kind: 'subheading', text });
    } else if (tag === 'h2') {
      const base = sectionAnchor(text) || `section-${sections.length + 1}`;
      const id = sections.some((s) => s.id === base) ? `${base}-${sections.length + 1}` : base;
      sections.push({ id, heading: text, blocks: [] });
    } else if (tag === 'h3' || tag === 'h4') {
      target().push({ kind: 'subheading', text });
    } else {
      target().push({ kind: 'paragraph', text });
    }
  }
  return { title, intro, sections };
}

function attachmentText(attachment: Attachment): string | undefined {
  if (attachment.data === undefined) return undefined;
  return Buffer.from(attachment.data, 'base64').toString('utf8');
}

function isHandout(document: DocumentReference): boolean {
  return (document.type?.coding ?? []).some((c) => c.system === SECTION_SYSTEM && c.code === 'handout');
}

function documentationUrls(plan: PlanDefinition): string[] {
  return (plan.relatedArtifact ?? [])
    .filter((a) => a.type === 'documentation')
    .map((a) => a.url ?? a.document?.url ?? a.resource)
    .filter((u): u is string => typeof u === 'string' && u !== '');
}

/**
 * The complete handout of a plan: among the DocumentReferences its `documentation` artifacts
 * name (by their URL identifier, else by a `DocumentReference/id` URL), the one typed `handout`.
 */
export async function findHandoutDocument(service: ResourceService, plan: PlanDefinition): Promise<DocumentReference | undefined> {
  const urls = documentationUrls(plan);
  if (urls.length === 0) return undefined;
  const byIdentifier = await searchResources<DocumentReference>(service, 'DocumentReference', [
    ['identifier', urls.map((u) => `${IDENTIFIER_SYSTEM}|${u.replace(/([,|$\\])/g, '\\$1')}`).join(',')],
    ['type', `${SECTION_SYSTEM}|handout`],
  ]);
  const current = byIdentifier.find((d) => d.status === 'current') ?? byIdentifier[0];
  if (current !== undefined) return current;
  for (const url of urls) {
    const target = parseReference(url, localBases(service));
    if (target?.resourceType !== 'DocumentReference') continue;
    const document = await readReference<DocumentReference>(service, `DocumentReference/${target.id}`);
    if (document !== undefined && isHandout(document)) return document;
  }
  return undefined;
}

function citationOf(document: DocumentReference, plan: PlanDefinition): { citation: string; url: string | undefined } | undefined {
  const fromDocument = (document.extension ?? []).find((e) => e.url === RELATED_ARTIFACT_EXTENSION)?.valueRelatedArtifact;
  const fromPlan: RelatedArtifact | undefined = (plan.relatedArtifact ?? []).find((a) => a.type === 'citation');
  const artifact = fromDocument ?? fromPlan;
  const citation = artifact?.citation ?? artifact?.display;
  if (citation === undefined) return undefined;
  return { citation, url: artifact?.url };
}

/** A paragraph that only repeats the source credit (shown once, at the end, from the resources). */
function isSourceParagraph(block: HandoutBlock, citation: string | undefined): boolean {
  if (block.kind !== 'paragraph') return false;
  if (/^source of the facts:/i.test(block.text)) return true;
  return citation !== undefined && block.text === citation;
}

/** The handout of a plan, read from the handout DocumentReference's HTML (its narrative when it has none). */
export function buildHandout(plan: PlanDefinition, document: DocumentReference): Handout {
  const html =
    (document.content ?? []).map((c) => c.attachment).filter((a) => a.contentType?.startsWith('text/html')).map(attachmentText).find((t) => t !== undefined) ??
    document.text?.div ??
    '';
  const parsed = parseHandoutHtml(html);
  const source = citationOf(document, plan);
  const keep = (blocks: HandoutBlock[]) => blocks.filter((b) => !isSourceParagraph(b, source?.citation));
  return {
    planDefinitionId: plan.id ?? '',
    documentReferenceId: document.id ?? '',
    title: parsed.title ?? document.description ?? plan.title ?? 'Patient handout',
    language: document.language ?? plan.language ?? 'en',
    intro: keep(parsed.intro),
    sections: parsed.sections.map((s) => ({ ...s, blocks: keep(s.blocks) })),
    source,
    date: document.date,
  };
}

/**
 * The heading of the handout section a section DocumentReference covers (its own h1, e.g.
 * "Before the surgery"), for links from the plan's steps to the handout.
 */
export function sectionHeadingOf(document: DocumentReference): string | undefined {
  const html = (document.content ?? []).map((c) => c.attachment).filter((a) => a.contentType?.startsWith('text/html')).map(attachmentText).find((t) => t !== undefined);
  if (html === undefined) return undefined;
  return parseHandoutHtml(html).title;
}
