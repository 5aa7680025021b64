import { SaxesParser, type SaxesTagNS } from 'saxes';

/**
 * The narrative rules of R4 (https://hl7.org/fhir/R4/narrative.html#xhtml), invariants txt-1 and
 * txt-2 on Narrative. Both are written as the FHIRPath function `htmlChecks()`, which neither
 * engine we use implements (@medplum/core returns true, the `fhirpath` package does not know
 * it), so they are checked here.
 *
 * The div is parsed by a conforming XML parser (saxes): it must be well-formed XML (matching
 * tags, no duplicate attribute, no `<` in an attribute value, only defined entities, no
 * character that XML forbids), one `div` in the XHTML namespace, with only the elements and
 * attributes R4 allows (HTML 4.0 chapters 7-11 and 15, `a` with `name` or `href`, images,
 * inline `style`), no scripts, forms or event attributes, and some content (txt-2). Narrative is
 * shown to patients in our pages, so URLs may use only safe schemes (http, https, mailto, tel, a
 * relative URL or `#fragment`), in attributes and in `url(...)` of a style.
 */
const XHTML_NS = 'http://www.w3.org/1999/xhtml';

const ALLOWED_ELEMENTS = new Set([
  'a', 'abbr', 'acronym', 'b', 'big', 'blockquote', 'br', 'caption', 'cite', 'code', 'col', 'colgroup',
  'dd', 'dfn', 'div', 'dl', 'dt', 'em', 'h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'hr', 'i', 'img', 'li', 'ol',
  'p', 'pre', 'q', 'samp', 'small', 'span', 'strong', 'sub', 'sup', 'table', 'tbody', 'td', 'tfoot',
  'th', 'thead', 'tr', 'tt', 'ul', 'var',
]); // prettier-ignore

/** Attributes allowed on every element (HTML 4.0 core and i18n attributes, inline style). */
const COMMON_ATTRIBUTES = new Set(['id', 'class', 'style', 'title', 'lang', 'xml:lang', 'dir']);

/** Attributes allowed on some elements only (HTML 4.0 chapters 7-11 and 15). */
const TABLE_CELL = ['abbr', 'axis', 'headers', 'scope', 'rowspan', 'colspan', 'align', 'valign', 'char', 'charoff', 'width', 'height', 'nowrap', 'bgcolor'];
const ELEMENT_ATTRIBUTES: Record<string, ReadonlySet<string>> = {
  a: new Set(['href', 'name', 'hreflang', 'type', 'rel', 'rev', 'charset']),
  img: new Set(['src', 'alt', 'longdesc', 'height', 'width', 'border', 'hspace', 'vspace', 'align']),
  blockquote: new Set(['cite']),
  q: new Set(['cite']),
  ol: new Set(['start', 'type', 'compact']),
  ul: new Set(['type', 'compact']),
  li: new Set(['value', 'type']),
  table: new Set(['summary', 'width', 'border', 'frame', 'rules', 'cellspacing', 'cellpadding', 'align', 'bgcolor']),
  td: new Set(TABLE_CELL),
  th: new Set(TABLE_CELL),
  tr: new Set(['align', 'valign', 'char', 'charoff', 'bgcolor']),
  thead: new Set(['align', 'valign', 'char', 'charoff']),
  tbody: new Set(['align', 'valign', 'char', 'charoff']),
  tfoot: new Set(['align', 'valign', 'char', 'charoff']),
  col: new Set(['span', 'width', 'align', 'valign', 'char', 'charoff']),
  colgroup: new Set(['span', 'width', 'align', 'valign', 'char', 'charoff']),
  caption: new Set(['align']),
  div: new Set(['align']),
  p: new Set(['align']),
  h1: new Set(['align']),
  h2: new Set(['align']),
  h3: new Set(['align']),
  h4: new Set(['align']),
  h5: new Set(['align']),
  h6: new Set(['align']),
  hr: new Set(['align', 'noshade', 'size', 'width']),
  br: new Set(['clear']),
  pre: new Set(['width']),
};

/** Attributes whose value is a URL. */
const URL_ATTRIBUTES = new Set(['href', 'src', 'longdesc', 'cite']);
const SAFE_SCHEMES = new Set(['http', 'https', 'mailto', 'tel']);

/**
 * Named entities beyond XML's five that narrative commonly uses (HTML 4.0 Latin-1 and
 * punctuation); any other name is refused as undefined.
 */
const HTML_ENTITIES: Record<string, string> = {
  nbsp: '\u00a0', copy: '\u00a9', reg: '\u00ae', trade: '\u2122', deg: '\u00b0', plusmn: '\u00b1',
  times: '\u00d7', divide: '\u00f7', micro: '\u00b5', para: '\u00b6', sect: '\u00a7', middot: '\u00b7',
  laquo: '\u00ab', raquo: '\u00bb', ndash: '\u2013', mdash: '\u2014', lsquo: '\u2018', rsquo: '\u2019',
  ldquo: '\u201c', rdquo: '\u201d', hellip: '\u2026', bull: '\u2022', le: '\u2264', ge: '\u2265',
  ne: '\u2260', larr: '\u2190', rarr: '\u2192', uarr: '\u2191', darr: '\u2193', frac12: '\u00bd',
  frac14: '\u00bc', frac34: '\u00be', sup2: '\u00b2', sup3: '\u00b3', euro: '\u20ac', pound: '\u00a3',
  cent: '\u00a2', yen: '\u00a5', shy: '\u00ad', iexcl: '\u00a1', iquest: '\u00bf', eacute: '\u00e9',
  egrave: '\u00e8', aacute: '\u00e1', agrave: '\u00e0', ouml: '\u00f6', uuml: '\u00fc', auml: '\u00e4',
  ccedil: '\u00e7', ntilde: '\u00f1', szlig: '\u00df',
}; // prettier-ignore

/** Why a URL is unsafe to show to a patient, or undefined when its scheme is allowed. */
export function unsafeUrlProblem(url: string): string | undefined {
  // Browsers ignore ASCII whitespace and control characters inside a scheme (`java\tscript:`).
  // eslint-disable-next-line no-control-regex
  const compact = url.replace(/[\u0000-\u0020\u007f]/g, '');
  const scheme = /^([A-Za-z][A-Za-z0-9+.-]*):/.exec(compact)?.[1]?.toLowerCase();
  if (scheme === undefined || SAFE_SCHEMES.has(scheme)) return undefined;
  return `the URL scheme "${scheme}:" is not allowed (only http, https, mailto, tel, relative URLs and #fragments)`;
}

function styleProblem(style: string): string | undefined {
  if (style.includes('\\')) return 'CSS escapes (\\) are not allowed in a style attribute';
  if (/expression\s*\(|@import|behavior\s*:|-moz-binding/i.test(style)) return 'the style attribute uses a construct that can run code';
  for (const match of style.matchAll(/url\s*\(\s*(['"]?)([^'")]*)\1\s*\)/gi)) {
    const problem = unsafeUrlProblem(match[2]);
    if (problem) return `in url(...) of the style attribute, ${problem}`;
  }
  return undefined;
}

/** The problems of one narrative `div`, as sentences; empty when it is valid. */
export function xhtmlProblems(div: string): string[] {
  const problems: string[] = [];
  const parser = new SaxesParser({ xmlns: true, position: true });
  Object.assign(parser.ENTITIES, HTML_ENTITIES);
  let depth = 0;
  let rootSeen = false;
  let content = '';
  const refuse = (problem: string): void => {
    problems.push(problem);
  };
  parser.on('error', (error) => {
    throw error;
  });
  parser.on('doctype', () => refuse('A narrative may not have a DOCTYPE'));
  parser.on('processinginstruction', () => refuse('A narrative may not have processing instructions'));
  parser.on('text', (text) => {
    if (depth === 0 && text.trim() !== '') refuse('The narrative has text outside its <div>');
    content += text;
  });
  parser.on('cdata', (text) => {
    content += text;
  });
  parser.on('opentag', (tag: SaxesTagNS) => {
    if (depth === 0) {
      if (rootSeen) refuse('The narrative has content after its closing </div>');
      rootSeen = true;
      if (tag.local !== 'div') refuse('The narrative must be a single <div> element');
      if (tag.uri !== XHTML_NS) refuse(`The narrative <div> must declare xmlns="${XHTML_NS}"`);
    } else if (tag.uri !== XHTML_NS) {
      refuse(`The element <${tag.name}> is not in the XHTML namespace`);
    }
    depth++;
    if (!ALLOWED_ELEMENTS.has(tag.local)) {
      refuse(`The element <${tag.name}> is not allowed in a narrative`);
      return;
    }
    if (tag.local === 'img') content += 'img';
    for (const attribute of Object.values(tag.attributes)) {
      const name = attribute.name;
      if (name === 'xmlns' || attribute.prefix === 'xmlns') continue;
      if (/^on/i.test(name)) {
        refuse(`The event attribute ${name} is not allowed in a narrative`);
        continue;
      }
      if (!COMMON_ATTRIBUTES.has(name) && !ELEMENT_ATTRIBUTES[tag.local]?.has(name)) {
        refuse(`The attribute ${name} is not allowed on <${tag.local}> in a narrative`);
        continue;
      }
      const problem = URL_ATTRIBUTES.has(name)
        ? unsafeUrlProblem(attribute.value)
        : name === 'style'
          ? styleProblem(attribute.value)
          : undefined;
      if (problem) refuse(`<${tag.local} ${name}>: ${problem}`);
    }
  });
  parser.on('closetag', () => {
    depth--;
  });
  try {
    parser.write(div).close();
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return [...problems, `The narrative is not well-formed XHTML: ${message}`];
  }
  if (problems.length === 0 && content.replace(/\u00a0/g, ' ').trim() === '') {
    problems.push('The narrative has no content (txt-2)');
  }
  return problems;
}
