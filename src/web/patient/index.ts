import { dirname, join } from 'node:path';
import type { PlanDefinition, Procedure, ServiceRequest, Task } from 'fhir/r4';
import express, { type NextFunction, type Request, type Response } from 'express';
import type { ServerConfig } from '../../config';
import { checkPatientLink } from '../../auth/patient-link-token';
import type { Principal } from '../../auth/principal';
import { SigningKeys } from '../../auth/signing-keys';
import { authBaseUrl } from '../../auth/smart-configuration';
import { TokenVerifier } from '../../auth/token-verifier';
import { FhirError } from '../../fhir/fhir-error';
import type { AppExtensions } from '../../http/app';
import type { Operation } from '../../operations/operation';
import type { ServerContext } from '../../services/server-context';
import { localBases, parseReference, readReference, searchResources } from '../../workflows/fhir-lookup';
import { buildHandout, findHandoutDocument, type Handout } from './handout';
import { renderHandoutMain } from './handout-page';
import { handoutPdf } from './handout-pdf';
import { ASSETS_PATH, escapeHtml, messagePage, sendPage } from './layout';
import { patientLinkOperation } from './patient-link-operation';
import { planFragment } from './plan-fragment';
import { patientPlanOperation } from './patient-plan-operation';
import { TEXTS } from './texts';
import { ID_PATTERN } from '../../fhir/resource-types';

/** The LHC-Forms files the questionnaire page loads (no source maps, nothing else from the package). */
const LFORMS_DIR = join(dirname(require.resolve('lforms/package.json')), 'dist', 'lforms');
const LFORMS_FILES = new Map([
  ['styles.css', join(LFORMS_DIR, 'webcomponent', 'styles.css')],
  ['zone.min.js', join(LFORMS_DIR, 'webcomponent', 'assets', 'lib', 'zone.min.js')],
  ['down_arrow_gray_10_10.png', join(LFORMS_DIR, 'webcomponent', 'down_arrow_gray_10_10.png')],
  ['magnifying_glass.png', join(LFORMS_DIR, 'webcomponent', 'magnifying_glass.png')],
  ['lhc-forms.js', join(LFORMS_DIR, 'webcomponent', 'lhc-forms.js')],
  ['lformsFHIR.min.js', join(LFORMS_DIR, 'fhir', 'R4', 'lformsFHIR.min.js')],
]);
const ASSETS_DIR = join(__dirname, 'assets');

/** The texts the form's script shows (kept with the others in texts.ts). */
const FORM_TEXTS = {
  loading: TEXTS.loading,
  saved: TEXTS.saved,
  errorSummaryTitle: TEXTS.errorSummaryTitle,
  fixAnswers: TEXTS.fixAnswers,
  requiredAnswer: TEXTS.requiredAnswer,
  tooLong: TEXTS.tooLong,
  checkAnswer: TEXTS.checkAnswer,
  sendFailed: TEXTS.sendFailed,
};

type Handler = (req: Request, res: Response) => Promise<void>;

function htmlRoute(ctx: ServerContext, handler: Handler) {
  return async (req: Request, res: Response, _next: NextFunction) => {
    try {
      await handler(req, res);
    } catch (error) {
      if (error instanceof FhirError && (error.status === 404 || error.status === 410)) {
        messagePage(res, 404, TEXTS.notFoundTitle, [TEXTS.notFoundBody]);
      } else if (error instanceof FhirError && error.status === 400) {
        messagePage(res, 400, TEXTS.badRequestTitle, [TEXTS.badRequestBody]);
      } else {
        ctx.logger.error({ err: error, path: req.path }, 'patient page failed');
        messagePage(res, 500, TEXTS.errorTitle, [TEXTS.errorBody]);
      }
    }
  };
}

async function loadHandout(ctx: ServerContext, id: string): Promise<Handout> {
  if (!ID_PATTERN.test(id)) throw FhirError.notFound('No such guide');
  const plan = JSON.parse((await ctx.service.read('PlanDefinition', id)).content) as PlanDefinition;
  const document = await findHandoutDocument(ctx.service, plan);
  if (document === undefined) throw FhirError.notFound(`PlanDefinition/${id} has no handout`);
  return buildHandout(plan, document);
}

/** The patient and Task a patient-link token opens, or undefined when the token cannot be used. */
async function linkOf(ctx: ServerContext, verifier: TokenVerifier, req: Request): Promise<{ principal: Principal; task: Task } | undefined> {
  const match = /^Bearer +([A-Za-z0-9\-._~+/]+=*) *$/i.exec(req.headers.authorization ?? '');
  if (!match) return undefined;
  try {
    const principal = await verifier.verify(match[1]);
    if (principal.patientLinkTask === undefined || principal.patient === undefined) return undefined;
    await checkPatientLink(ctx.service, principal);
    const task = JSON.parse((await ctx.service.read('Task', principal.patientLinkTask)).content) as Task;
    return { principal, task };
  } catch (error) {
    if (error instanceof FhirError && error.status < 500) return undefined;
    throw error;
  }
}

function sendFragment(res: Response, status: number, html: string): void {
  res.status(status).setHeader('Content-Type', 'text/html; charset=utf-8');
  res.setHeader('Cache-Control', 'no-store');
  res.send(html);
}

function expiredFragment(): string {
  return `<div class="card card--warning" role="alert"><h2>${escapeHtml(TEXTS.expiredTitle)}</h2><p>${escapeHtml(TEXTS.expiredBody)}</p></div>`;
}

/** The order a Task is based on, when it is the same patient's. */
async function orderOf(ctx: ServerContext, task: Task, patientId: string): Promise<ServiceRequest | Procedure | undefined> {
  for (const basedOn of task.basedOn ?? []) {
    const target = parseReference(basedOn.reference, localBases(ctx.service));
    if (target?.resourceType !== 'ServiceRequest' && target?.resourceType !== 'Procedure') continue;
    const order = await readReference<ServiceRequest | Procedure>(ctx.service, `${target.resourceType}/${target.id}`);
    if (order !== undefined && parseReference(order.subject?.reference, localBases(ctx.service))?.id === patientId) return order;
  }
  return undefined;
}

/** The shell of a page that shows a patient's own data: the script reads the link's token from the fragment. */
function patientShell(res: Response, title: string, body: string, scripts: string[], extra: { styles?: string[]; inlineStyles?: boolean } = {}): void {
  const main = `<h1>${escapeHtml(title)}</h1>
<noscript><p>${escapeHtml(TEXTS.needsScript)}</p></noscript>
<div id="link-expired" hidden>${expiredFragment()}</div>
${body}`;
  sendPage(res, { title, main, scripts, private: true, ...extra });
}

/**
 * The patient pages: the handout (page and PDF, public), the patient's dated plan and their
 * questionnaire (opened with a patient link), and the `$patient-link` operation that makes links.
 */
export function patientPages(config: ServerConfig): { operations: Operation[]; app: (ctx: ServerContext) => AppExtensions } {
  let keys: SigningKeys | undefined;
  let context: ServerContext | undefined;
  const currentContext = () => {
    if (context === undefined) throw new Error('The patient pages are not wired to a server yet');
    return context;
  };
  const currentKeys = () => {
    if (keys === undefined) throw new Error('The patient pages are not wired to a server yet');
    return keys;
  };
  return {
    operations: [patientLinkOperation({ config, keys: currentKeys }), patientPlanOperation({ context: currentContext })],
    app: (ctx) => {
      context = ctx;
      keys = new SigningKeys(ctx.database, ctx.config.authSigningKeyFile);
      const verifier = new TokenVerifier({
        audience: () => ctx.config.baseUrl,
        clockSkewSeconds: ctx.config.authClockSkewSeconds,
        builtin: { issuer: authBaseUrl(ctx.config.baseUrl), keys },
        external: undefined,
      });
      const router = express.Router();
      router.use(ASSETS_PATH, express.static(ASSETS_DIR, { index: false, maxAge: '1h', fallthrough: true }));
      router.get(`${ASSETS_PATH}/lforms/:file`, (req, res, next) => {
        const file = LFORMS_FILES.get(String(req.params.file));
        if (file === undefined) return next();
        res.sendFile(file, { maxAge: '1d' });
      });

      router.get(
        '/education',
        htmlRoute(ctx, async (req, res) => {
          const procedure = new URLSearchParams(req.originalUrl.split('?')[1] ?? '').get('procedure');
          const params: [string, string][] = procedure === null ? [['status', 'active']] : [['procedure', procedure]];
          if (procedure !== null && !/^[^|]+\|[^|]+$/.test(procedure)) throw FhirError.badRequest('procedure must be system|code');
          const plans = await searchResources<PlanDefinition>(ctx.service, 'PlanDefinition', [...params, ['_count', '50']]);
          if (procedure !== null && plans.length === 1) {
            res.redirect(303, `/education/${encodeURIComponent(plans[0].id!)}`);
            return;
          }
          if (plans.length === 0) {
            messagePage(res, 404, TEXTS.notFoundTitle, [TEXTS.noMatchBody]);
            return;
          }
          const items = plans.map((p) => `<li><a href="/education/${encodeURIComponent(p.id!)}">${escapeHtml(p.title ?? p.name ?? p.id!)}</a>${p.subtitle ? `<br><span class="hint">${escapeHtml(p.subtitle)}</span>` : ''}</li>`).join('\n');
          sendPage(res, { title: TEXTS.listTitle, main: `<h1>${escapeHtml(TEXTS.listTitle)}</h1>\n<p>${escapeHtml(TEXTS.listIntro)}</p>\n<ul class="list-links">${items}</ul>` });
        }),
      );
      router.get(
        '/education/:file',
        htmlRoute(ctx, async (req, res) => {
          const file = String(req.params.file);
          if (file.endsWith('.pdf')) {
            const handout = await loadHandout(ctx, file.slice(0, -4));
            const pdf = await handoutPdf(handout);
            res.status(200).setHeader('Content-Type', 'application/pdf');
            res.setHeader('Content-Disposition', `inline; filename="${handout.planDefinitionId}.pdf"`);
            res.setHeader('Cache-Control', 'public, max-age=300');
            res.send(pdf);
            return;
          }
          const handout = await loadHandout(ctx, file);
          sendPage(res, { title: handout.title, lang: handout.language, main: renderHandoutMain(handout) });
        }),
      );

      router.get('/my/plan', (_req, res) => {
        patientShell(res, TEXTS.planTitle, `<div id="plan-content" aria-live="polite"><p>${escapeHtml(TEXTS.loading)}</p></div>`, ['patient-link.js', 'plan.js']);
      });
      router.get(
        '/my/plan/content',
        htmlRoute(ctx, async (req, res) => {
          const link = await linkOf(ctx, verifier, req);
          if (link === undefined) return sendFragment(res, 401, expiredFragment());
          const patientId = link.principal.patient!;
          const order = await orderOf(ctx, link.task, patientId);
          sendFragment(res, 200, await planFragment(ctx, order, patientId));
        }),
      );
      router.get('/my/questionnaire', (_req, res) => {
        patientShell(
          res,
          TEXTS.questionnaireTitle,
          `<p>${escapeHtml(TEXTS.questionnaireIntro)}</p>
<div id="form-errors" tabindex="-1"></div>
<div id="form-status" role="status" aria-live="polite"><p>${escapeHtml(TEXTS.loading)}</p></div>
<div id="questionnaire-form" data-texts="${escapeHtml(JSON.stringify(FORM_TEXTS))}"></div>
<div id="form-actions" class="form-actions" hidden>
<button type="button" class="button" id="submit-answers">${escapeHtml(TEXTS.submit)}</button>
<button type="button" class="button button--secondary" id="save-answers">${escapeHtml(TEXTS.save)}</button>
</div>`,
          ['lforms/zone.min.js', 'lforms/lhc-forms.js', 'lforms/lformsFHIR.min.js', 'patient-link.js', 'questionnaire.js'],
          { styles: ['lforms/styles.css'], inlineStyles: true },
        );
      });
      router.get('/my/thanks', (_req, res) => {
        const main = `<div class="panel panel--confirmation"><h1>${escapeHtml(TEXTS.thanksTitle)}</h1><p>${escapeHtml(TEXTS.thanksBody)}</p></div>
<h2>${escapeHtml(TEXTS.thanksNext)}</h2><p>${escapeHtml(TEXTS.thanksNextBody)}</p>`;
        sendPage(res, { title: TEXTS.thanksTitle, main, private: true });
      });
      return { routes: [router] };
    },
  };
}
