import { startTestServer, type TestServer } from '../../support/test-server';

/**
 * Narrative XHTML is parsed by an XML parser and held to R4's element and attribute allow-list
 * with safe URL schemes only: it is shown to patients in our pages. The library's own
 * narratives (loaded at start) pass.
 */
let server: TestServer;

beforeAll(async () => {
  server = await startTestServer({ env: { LOAD_CONTENT: 'true' } });
});
afterAll(async () => {
  await server.close();
});

const NS = 'xmlns="http://www.w3.org/1999/xhtml"';
const withNarrative = (div: string) => ({
  method: 'POST',
  body: JSON.stringify({ resourceType: 'Patient', text: { status: 'generated', div }, name: [{ family: 'Narrative' }] }),
});

describe('narrative XHTML on write', () => {
  test.each([
    ['an undefined entity', `<div ${NS}>a &bogus; b</div>`],
    ['a NUL character reference', `<div ${NS}>&#x0;</div>`],
    ['mismatched tags', `<div ${NS}><P>a</p></div>`],
    ['a duplicate attribute', `<div ${NS}><p class="a" class="b">a</p></div>`],
    ['< in an attribute value', `<div ${NS}><p title="1<2">a</p></div>`],
    ['a javascript: link', `<div ${NS}><a href="javascript:alert(1)">a</a></div>`],
    ['javascript in a style url()', `<div ${NS}><p style="background:url(javascript:alert(1))">a</p></div>`],
  ])('%s answers 422 naming Patient.text.div and stores nothing', async (_what, div) => {
    const before = (await server.fetch('/Patient?_summary=count')).body.total;
    const res = await server.fetch('/Patient', withNarrative(div));
    expect(res.status).toBe(422);
    expect(res.body.issue.some((i: any) => (i.expression ?? []).includes('Patient.text.div'))).toBe(true);
    expect((await server.fetch('/Patient?_summary=count')).body.total).toBe(before);
  });

  test('a narrative with safe links, a table and an entity is stored', async () => {
    const res = await server.fetch(
      '/Patient',
      withNarrative(`<div ${NS}><p>Read <a href="https://medlineplus.gov/">MedlinePlus</a>&nbsp;or call <a href="tel:+15555550100">us</a>.</p><table><tr><td>a</td></tr></table></div>`),
    );
    expect(res.status).toBe(201);
  });

  test('the library loaded at start, narratives included, is all there', async () => {
    const res = await server.fetch('/DocumentReference?_summary=count');
    expect(res.body.total).toBeGreaterThanOrEqual(9);
  });
});
