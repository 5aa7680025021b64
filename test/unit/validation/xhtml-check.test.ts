import { xhtmlProblems } from '../../../src/fhir/validation/xhtml-check';

const NS = 'xmlns="http://www.w3.org/1999/xhtml"';

describe('narrative XHTML (txt-1, txt-2)', () => {
  it.each([
    `<div ${NS}>Plain text</div>`,
    `<div ${NS}><p>One <b>bold</b> word &amp; an entity</p><br/><img src="#a" alt="x"/></div>`,
    `<div ${NS}><table><tr><td>a</td></tr></table><!-- a comment --></div>`,
    `<div ${NS}><p class="x" style="color: red">2 > 1</p></div>`,
  ])('accepts %s', (div) => {
    expect(xhtmlProblems(div)).toEqual([]);
  });

  it.each([
    ['a script', `<div ${NS}><script>alert(1)</script></div>`, /<script> is not allowed/],
    ['a form', `<div ${NS}><form><p>x</p></form></div>`, /<form> is not allowed/],
    ['an event attribute', `<div ${NS}><p onClick="x()">a</p></div>`, /onClick/],
    ['no namespace', '<div>text</div>', /xmlns/],
    ['not a div', `<p ${NS}>text</p>`, /single <div>/],
    ['an unclosed element', `<div ${NS}><p>text</div>`, /does not match|not closed/],
    ['no content', `<div ${NS}>  </div>`, /no content/],
    ['content after the div', `<div ${NS}>a</div><p>b</p>`, /after its closing/],
  ])('refuses %s', (_what, div, problem) => {
    expect(xhtmlProblems(div).join(' ')).toMatch(problem);
  });
});
