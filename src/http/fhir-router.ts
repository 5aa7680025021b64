import { Router, type Request, type Response } from 'express';
import type { Parameters, Resource } from 'fhir/r4';
import { FhirError } from '../fhir/fhir-error';
import { informationOutcome, issue } from '../fhir/operation-outcome';
import { asResource } from '../fhir/resource-body';
import { ID_PATTERN } from '../fhir/resource-types';
import { shapeRead } from '../fhir/summary';
import { patientCompartmentFilter } from '../fhir/search/compartment';
import { assertTemporalParameters, type Operation } from '../operations/operation';
import type { ServerContext } from '../services/server-context';
import { storedVersionText, type ResourceService, type WriteResult } from '../services/resource-service';
import { historyBundle } from '../services/history-service';
import { httpDate, sendJson, versionETag } from './fhir-response';
import { allowHeader } from './allowed-methods';
import { patchOf } from './patch-body';
import { requireJsonBody } from './negotiation';
import { preferences } from './prefer';

/** Ordered query parameters, repeated ones kept (URLSearchParams keeps order). */
export function queryPairs(req: Request): [string, string][] {
  const i = req.originalUrl.indexOf('?');
  return i < 0 ? [] : [...new URLSearchParams(req.originalUrl.slice(i + 1))];
}

function queryString(req: Request): string | undefined {
  const i = req.originalUrl.indexOf('?');
  const q = i < 0 ? '' : req.originalUrl.slice(i + 1);
  const params = new URLSearchParams(q);
  params.delete('_format');
  params.delete('_pretty');
  const s = params.toString();
  return s === '' ? undefined : s;
}

function isPretty(req: Request): boolean {
  return req.query._pretty === 'true';
}

function param(req: Request, name: string): string {
  const value = req.params[name];
  return Array.isArray(value) ? value.join('/') : String(value);
}

function header(req: Request, name: string): string | undefined {
  const v = req.headers[name.toLowerCase()];
  return Array.isArray(v) ? v[0] : v;
}

/** 405 with the Allow header of the URL (R4 http.html: an interaction the URL does not support). */
function methodNotAllowed(req: Request): never {
  const allow = allowHeader(req.path);
  throw new FhirError(405, [issue('error', 'not-supported', `${req.method} is not supported at this URL; it allows ${allow.Allow || 'no method'}`)], allow);
}

export function fhirRouter(ctx: ServerContext): Router {
  const router = Router();
  const svc = (res: Response): ResourceService => (res.locals.service as ResourceService | undefined) ?? ctx.service;

  const sendWrite = (req: Request, res: Response, result: WriteResult) => {
    const location = `${ctx.config.baseUrl}/${result.resource.resourceType}/${result.resource.id}/_history/${result.versionId}`;
    res.setHeader('ETag', versionETag(result.versionId));
    res.setHeader('Last-Modified', httpDate(result.lastUpdated));
    if (result.status === 201) res.setHeader('Location', location);
    else res.setHeader('Content-Location', location);
    const prefer = preferences(req);
    if (prefer.return === 'minimal') {
      res.status(result.status).end();
      return;
    }
    if (prefer.return === 'OperationOutcome') {
      const msg = result.changed ? storedVersionText(result) : 'No change: the stored version is the same';
      sendJson(res, result.status, informationOutcome(msg), isPretty(req));
      return;
    }
    sendJson(res, result.status, result.content, isPretty(req));
  };

  const search = async (req: Request, res: Response, types: string[], path: string, params: [string, string][]) => {
    const prefer = preferences(req);
    const { request, warnings } = ctx.searchService.parse(types, params, prefer.strict);
    const result = await ctx.searchService.search(svc(res).repository, path, request, warnings);
    sendJson(res, 200, result.body, isPretty(req));
  };

  const runOperation = async (req: Request, res: Response, name: string, type?: string, id?: string) => {
    const operation: Operation | undefined = ctx.operations.get(name);
    const level = id !== undefined ? 'instance' : type !== undefined ? 'type' : 'system';
    if (!operation || !operation[level] || (type !== undefined && operation.resourceTypes !== '*' && !operation.resourceTypes.includes(type))) {
      throw FhirError.notFound(`Operation $${name} is not supported ${type ? `on ${type}` : 'at the system level'}`);
    }
    if (type !== undefined) svc(res).assertType(type);
    if (req.method === 'GET' && operation.affectsState) {
      throw new FhirError(405, [issue('error', 'not-supported', `$${name} changes state and must be invoked with POST`)], { Allow: 'POST' });
    }
    let parameters: Parameters = { resourceType: 'Parameters', parameter: [] };
    let body: Resource | undefined;
    if (req.method === 'POST') {
      const parsed = asResource(requireJsonBody(req));
      if (parsed.resourceType === 'Parameters') parameters = parsed as Parameters;
      else body = parsed;
    }
    for (const [k, v] of queryPairs(req)) {
      if (k === '_format' || k === '_pretty') continue;
      parameters.parameter = [...(parameters.parameter ?? []), { name: k, valueString: v }];
    }
    assertTemporalParameters(parameters);
    const result = await operation.execute({ resourceType: type, id, parameters, body, service: svc(res), method: req.method as 'GET' | 'POST' });
    sendJson(res, result.status, result.body, isPretty(req));
  };

  // Operations: [base]/$op, [base]/Type/$op, [base]/Type/id/$op
  router.all(/^\/(?:([A-Za-z]+)\/)?(?:([A-Za-z0-9.-]{1,64})\/)?\$([A-Za-z][A-Za-z0-9-]*)$/, async (req, res) => {
    const groups = req.params as unknown as Record<string, string | undefined>;
    await runOperation(req, res, groups[2]!, groups[0], groups[1]);
  });
  router.get('/metadata', (req, res) => sendJson(res, 200, shapeRead(JSON.stringify(ctx.capabilityStatement()), queryPairs(req)), isPretty(req)));
  router.all('/metadata', methodNotAllowed);

  // System level
  router.post('/', async (req, res) => {
    const bundle = await ctx.bundleService.process(svc(res), requireJsonBody(req), preferences(req).return);
    sendJson(res, 200, bundle, isPretty(req));
  });
  router.get('/', async (req, res) => {
    const pairs = queryPairs(req);
    const typeParam = pairs.find(([k]) => k === '_type')?.[1];
    if (typeParam === undefined) throw FhirError.badRequest('A search across types needs _type=Type1,Type2', '_type');
    const types = typeParam.split(',').map((t) => t.trim());
    for (const t of types) svc(res).assertType(t);
    await search(req, res, types, '', pairs);
  });
  router.get('/_history', async (req, res) => {
    sendJson(res, 200, await historyBundle(svc(res).repository, { params: queryPairs(req) }, ctx.historySettings), isPretty(req));
  });

  // Type level
  router.get('/:type', async (req, res) => {
    const type = param(req, 'type');
    svc(res).assertType(type);
    await search(req, res, [type], type, queryPairs(req));
  });
  router.post('/:type/_search', async (req, res) => {
    const type = param(req, 'type');
    svc(res).assertType(type);
    const contentType = (req.headers['content-type'] ?? '').split(';')[0].trim();
    if (contentType !== 'application/x-www-form-urlencoded') {
      throw FhirError.of(415, 'not-supported', 'POST _search takes application/x-www-form-urlencoded', 'Content-Type');
    }
    const body = typeof req.body === 'string' ? req.body : '';
    await search(req, res, [type], type, [...queryPairs(req), ...new URLSearchParams(body)]);
  });
  router.get('/:type/_history', async (req, res) => {
    const type = param(req, 'type');
    svc(res).assertType(type);
    sendJson(res, 200, await historyBundle(svc(res).repository, { resourceType: type, params: queryPairs(req) }, ctx.historySettings), isPretty(req));
  });
  router.post('/:type', async (req, res) => {
    const type = param(req, 'type');
    svc(res).assertType(type);
    const resource = asResource(requireJsonBody(req), type);
    const result = await svc(res).create(resource, { ifNoneExist: header(req, 'if-none-exist') });
    sendWrite(req, res, result);
  });
  router.put('/:type', async (req, res) => {
    const type = param(req, 'type');
    svc(res).assertType(type);
    const criteria = queryString(req);
    if (criteria === undefined) throw FhirError.badRequest('PUT on a type needs search criteria (conditional update)');
    const resource = asResource(requireJsonBody(req), type);
    sendWrite(req, res, await svc(res).conditionalUpdate(type, criteria, resource, { ifMatch: header(req, 'if-match') }));
  });
  router.patch('/:type', async (req, res) => {
    const type = param(req, 'type');
    svc(res).assertType(type);
    const criteria = queryString(req);
    if (criteria === undefined) throw FhirError.badRequest('PATCH on a type needs search criteria (conditional patch)');
    sendWrite(req, res, await svc(res).conditionalPatch(type, criteria, patchOf(req), { ifMatch: header(req, 'if-match') }));
  });
  router.delete('/:type', async (req, res) => {
    const type = param(req, 'type');
    svc(res).assertType(type);
    const criteria = queryString(req);
    if (criteria === undefined) throw FhirError.badRequest('DELETE on a type needs search criteria (conditional delete)');
    await svc(res).conditionalDelete(type, criteria);
    res.status(204).end();
  });

  // Instance level
  router.get('/:type/:id', async (req, res) => {
    const stored = await svc(res).read(param(req, 'type'), param(req, 'id'));
    res.setHeader('ETag', versionETag(stored.versionId));
    res.setHeader('Last-Modified', httpDate(stored.lastUpdated));
    const ifNoneMatch = header(req, 'if-none-match');
    if (ifNoneMatch !== undefined && ifNoneMatch.replace(/^W\//, '') === `"${stored.versionId}"`) {
      res.status(304).end();
      return;
    }
    sendJson(res, 200, shapeRead(stored.content, queryPairs(req)), isPretty(req));
  });
  router.put('/:type/:id', async (req, res) => {
    const type = param(req, 'type');
    svc(res).assertType(type);
    const resource = asResource(requireJsonBody(req), type);
    sendWrite(req, res, await svc(res).update(type, param(req, 'id'), resource, { ifMatch: header(req, 'if-match') }));
  });
  router.patch('/:type/:id', async (req, res) => {
    const type = param(req, 'type');
    svc(res).assertType(type);
    sendWrite(req, res, await svc(res).patch(type, param(req, 'id'), patchOf(req), { ifMatch: header(req, 'if-match') }));
  });
  router.delete('/:type/:id', async (req, res) => {
    await svc(res).delete(param(req, 'type'), param(req, 'id'), { ifMatch: header(req, 'if-match') });
    res.status(204).end();
  });
  router.get('/:type/:id/_history', async (req, res) => {
    const type = param(req, 'type');
    svc(res).assertType(type);
    const bundle = await historyBundle(svc(res).repository, { resourceType: type, id: param(req, 'id'), params: queryPairs(req) }, ctx.historySettings);
    sendJson(res, 200, bundle, isPretty(req));
  });
  // Compartment search: [base]/Patient/[id]/[type]?… (R4 http.html#vsearch, Patient compartment).
  router.get('/:type/:id/:target', async (req, res, next) => {
    const [type, id, target] = [param(req, 'type'), param(req, 'id'), param(req, 'target')];
    if (type !== 'Patient' || target === '_history' || !ID_PATTERN.test(id)) {
      next('route');
      return;
    }
    svc(res).assertType(target);
    const compartment = patientCompartmentFilter(target, id, ctx.config.baseUrl);
    const { request, warnings } = ctx.searchService.parse([target], queryPairs(req), preferences(req).strict);
    request.filters = [compartment, ...request.filters];
    const result = await ctx.searchService.search(svc(res).repository, `Patient/${id}/${target}`, request, warnings);
    sendJson(res, 200, result.body, isPretty(req));
  });
  router.get('/:type/:id/_history/:vid', async (req, res) => {
    const row = await svc(res).vread(param(req, 'type'), param(req, 'id'), param(req, 'vid'));
    res.setHeader('ETag', versionETag(row.versionId));
    res.setHeader('Last-Modified', httpDate(row.lastUpdated));
    sendJson(res, 200, shapeRead(row.content!, queryPairs(req)), isPretty(req));
  });

  router.all('/{*rest}', methodNotAllowed);
  return router;
}
