/**
 * The narrative rules of R4 (https://hl7.org/fhir/R4/narrative.html#xhtml), invariants txt-1 and
 * txt-2 on Narrative. Both are written as the FHIRPath function `htmlChecks()`, which neither
 * engine we use implements (@medplum/core returns true, the `fhirpath` package does not know
 * it), so they are checked here: a `div` in the XHTML namespace, only the allowed elements, no
 * event attributes (`onclick`) or scripts, well-formed tags, and some non-whitespace content.
 */
const ALLOWED_ELEMENTS = new Set([
  'a', 'abbr', 'acronym', 'b', 'big', 'blockquote', 'br', 'caption', 'cite', 'code', 'col', 'colgroup',
  'dd', 'dfn', 'div', 'dl', 'dt', 'em', 'h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'hr', 'i', 'img', 'li', 'ol',
  'p', 'pre', 'q', 'samp', 'small', 'span', 'strong', 'sub', 'sup', 'table', 'tbody', 'td', 'tfoot',
  'th', 'thead', 'tr', 'tt', 'ul', 'var',
]); // prettier-ignore

const VOID_ELEMENTS = new Set(['br', 'hr', 'img', 'col']);
const TAG = /<(\/?)([A-Za-z][\w:.-]*)((?:\s+[^\s=/>]+(?:\s*=\s*(?:"[^"]*"|'[^']*'))?)*)\s*(\/?)>/g;
const ATTRIBUTE = /([^\s=/>]+)(?:\s*=\s*(?:"[^"]*"|'[^']*'))?/g;

/** The problems of one narrative `div`, as sentences; empty when it is valid. */
export function xhtmlProblems(div: string): string[] {
  const problems: string[] = [];
  const withoutComments = div.replace(/<!--[\s\S]*?-->/g, '');
  if (!/^\s*<div[\s>]/.test(withoutComments)) problems.push('The narrative must be a single <div> element');
  const stack: string[] = [];
  let rootClosed = false;
  let lastIndex = 0;
  let text = '';
  for (const match of withoutComments.matchAll(TAG)) {
    text += withoutComments.slice(lastIndex, match.index);
    lastIndex = (match.index ?? 0) + match[0].length;
    const [, closing, rawName, attributes, selfClosing] = match;
    const name = rawName.toLowerCase();
    if (rootClosed) {
      problems.push('The narrative has content after its closing </div>');
      break;
    }
    if (!ALLOWED_ELEMENTS.has(name)) {
      problems.push(`The element <${rawName}> is not allowed in a narrative`);
      continue;
    }
    if (closing) {
      if (stack.pop() !== name) {
        problems.push(`The closing tag </${rawName}> does not match the open element`);
        break;
      }
      if (stack.length === 0) rootClosed = true;
      continue;
    }
    for (const attribute of attributes.matchAll(ATTRIBUTE)) {
      if (/^on/i.test(attribute[1]))
        problems.push(`The event attribute ${attribute[1]} is not allowed in a narrative`);
    }
    if (
      stack.length === 0 &&
      !/\sxmlns\s*=\s*("http:\/\/www\.w3\.org\/1999\/xhtml"|'http:\/\/www\.w3\.org\/1999\/xhtml')/.test(
        attributes,
      )
    ) {
      problems.push('The narrative <div> must declare xmlns="http://www.w3.org/1999/xhtml"');
    }
    if (name === 'img') text += 'img';
    if (!selfClosing && !VOID_ELEMENTS.has(name)) stack.push(name);
    else if (stack.length === 0) rootClosed = true;
  }
  text += withoutComments.slice(lastIndex);
  if (problems.length === 0 && stack.length > 0)
    problems.push(`The element <${stack[stack.length - 1]}> is not closed`);
  if (problems.length === 0 && text.includes('<')) problems.push('The narrative is not well-formed XHTML');
  if (problems.length === 0 && text.replace(/&nbsp;|&#160;/g, ' ').trim() === '') {
    problems.push('The narrative has no content (txt-2)');
  }
  return problems;
}
