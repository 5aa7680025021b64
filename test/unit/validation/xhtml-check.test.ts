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
    ['an unclosed element', `<div ${NS}><p>text</div>`, /not well-formed XHTML: .*unexpected close tag/],
    ['no content', `<div ${NS}>  </div>`, /no content/],
    ['content after the div', `<div ${NS}>a</div><p>b</p>`, /not well-formed XHTML: .*only one root/],
  ])('refuses %s', (_what, div, problem) => {
    expect(xhtmlProblems(div).join(' ')).toMatch(problem);
  });

  it.each([
    ['an undefined entity', `<div ${NS}>a &bogus; b</div>`, /undefined entity/],
    ['a character reference to NUL', `<div ${NS}>&#x0;</div>`, /not well-formed/],
    ['mismatched case in tags', `<div ${NS}><P>text</p></div>`, /not well-formed/],
    ['a duplicate attribute', `<div ${NS}><p class="a" class="b">x</p></div>`, /duplicate attribute/],
    ['< inside an attribute value', `<div ${NS}><p title="a<b">x</p></div>`, /not well-formed/],
    ['a javascript: link', `<div ${NS}><a href="javascript:alert(1)">x</a></div>`, /"javascript:" is not allowed/],
    ['a javascript: link hidden by an entity and a tab', `<div ${NS}><a href="&#106;ava&#9;script:alert(1)">x</a></div>`, /"javascript:" is not allowed/],
    ['a data: image', `<div ${NS}><img src="data:text/html;base64,PHNjcmlwdD4=" alt="x"/></div>`, /"data:" is not allowed/],
    ['javascript in a style url()', `<div ${NS}><p style="background: url(javascript:alert(1))">x</p></div>`, /url\(\.\.\.\)/],
    ['a CSS expression', `<div ${NS}><p style="width: expression(alert(1))">x</p></div>`, /can run code/],
    ['an attribute outside the allow-list', `<div ${NS}><p data-x="1">x</p></div>`, /attribute data-x is not allowed/],
    ['an element in another namespace', `<div ${NS}><svg xmlns="http://www.w3.org/2000/svg"/>x</div>`, /not in the XHTML namespace|not allowed/],
  ])('refuses %s', (_what, div, problem) => {
    expect(xhtmlProblems(div).join(' ')).toMatch(problem);
  });

  it.each([
    `<div ${NS}><a href="https://medlineplus.gov/ency/article/007258.htm">MedlinePlus</a> <a href="#top">top</a></div>`,
    `<div ${NS}><a href="mailto:clinic@example.org">mail</a> <a href="tel:+15555550100">call</a> <a href="../Patient/1">rel</a></div>`,
    `<div ${NS}><p style="color: red; background: url('https://example.org/a.png')">&nbsp;ok &amp; &#233;</p></div>`,
    `<div ${NS}><table border="1"><tr><td colspan="2" xml:lang="en">a</td></tr></table></div>`,
  ])('accepts the safe form %s', (div) => {
    expect(xhtmlProblems(div)).toEqual([]);
  });
});
