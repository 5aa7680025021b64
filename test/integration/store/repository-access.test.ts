/**
 * Every method of the Repository under a patient-scoped policy, on a real database: patient A
 * cannot read, search, count, page through history or write patient B's data through any of
 * them. The methods are taken from the class itself, so a method added without a case here
 * fails the first test.
 */
import type { Observation, Patient, Resource } from 'fhir/r4';
import { AccessPolicy } from '../../../src/auth/access-policy';
import { RequestAudit } from '../../../src/auth/audit';
import type { Principal } from '../../../src/auth/principal';
import { RequestAccess } from '../../../src/auth/request-access';
import { parseScopes } from '../../../src/auth/scopes';
import { FhirError } from '../../../src/fhir/fhir-error';
import { sql } from 'kysely';
import { Repository, type NewVersion } from '../../../src/store/repository';
import { startTestServer, type TestServer } from '../../support/test-server';

let server: TestServer;
let system: Repository;
let asPatientA: Repository;
/** rids of patient B and of B's Observation. */
let ridOf: { patientB: string; observationB: string };

function observation(id: string, patient: string): Observation {
  return {
    resourceType: 'Observation',
    id,
    status: 'final',
    code: { text: 'pain score' },
    subject: { reference: `Patient/${patient}` },
  };
}

function version(resource: Resource, versionId = 1): NewVersion {
  const stamped = {
    ...resource,
    meta: { versionId: String(versionId), lastUpdated: new Date().toISOString() },
  };
  return {
    resourceType: resource.resourceType,
    id: resource.id!,
    versionId,
    lastUpdated: stamped.meta.lastUpdated,
    content: JSON.stringify(stamped),
    index: server.ctx.extractor.extract(stamped as Resource),
  };
}

/** Refused with a FHIR status (403 for writes, 404 where existence is not revealed). */
async function refused(work: Promise<unknown>, ...statuses: number[]): Promise<void> {
  const error = await work.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(FhirError);
  expect(statuses).toContain((error as FhirError).status);
}

const ALL_OBSERVATIONS = { resourceTypes: ['Observation'], filters: [], sort: [], limit: 100 };
const ids = (rows: { id: string }[]) => rows.map((r) => r.id);

/**
 * One case per method: it tries to reach patient B's data through the method, as patient A,
 * and asserts that nothing of B comes back and nothing of B changes.
 */
const cases: Record<string, () => Promise<void>> = {
  withRules: async () => {
    // Another policy on the same connection: the composition root and auth build request repositories with it.
    const other = system.withRules(asPatientA.rules);
    expect(await other.read('Observation', 'obs-b')).toBeUndefined();
  },
  system: async () => {
    // The server's own authority, by name: the checks themselves, write hooks, the audit trail.
    expect(asPatientA.system().rules.unrestricted).toBe(true);
    expect(asPatientA.rules.unrestricted).toBe(false);
  },
  transaction: async () => {
    await asPatientA.transaction(async (tx) => {
      expect(await tx.read('Observation', 'obs-b')).toBeUndefined();
      expect(ids(await tx.searchPage(ALL_OBSERVATIONS))).toEqual(['obs-a']);
    });
  },
  transactionOfManyWrites: async () => {
    await asPatientA.transactionOfManyWrites(async (tx) => {
      tx.writer = 3;
      expect(tx.writer).toBe(3);
      expect(await tx.read('Observation', 'obs-b')).toBeUndefined();
      await refused(tx.insert(version(observation('obs-b-many', 'patient-b'))), 403);
      expect(tx.writeCount()).toBe(0);
    });
  },
  writeCount: async () => {
    // How many writes the repository's own transaction took: a number, no data.
    await rolledBack(async (tx) => {
      await tx.insert(version(observation('obs-b-counted', 'patient-b')));
      expect(tx.writeCount()).toBe(1);
      expect(tx.withRules(asPatientA.rules).writeCount()).toBe(1);
    });
  },
  readOnce: async () => {
    // Kept lookups run through the repository they are given: A's lookup of B's Observation is absent.
    await asPatientA.transactionOfManyWrites(async (tx) => {
      expect(
        await tx.readOnce('obs-b', 'Observation', () => tx.read('Observation', 'obs-b')),
      ).toBeUndefined();
    });
  },
  keysToCheckAtCommit: async () => {
    // Referential integrity: whether a referenced id exists (no content).
    expect(
      await asPatientA.keysToCheckAtCommit([{ resourceType: 'Observation', id: 'nowhere' }]),
    ).toHaveLength(1);
  },
  findReferencing: async () => {
    const [filter] = server.ctx.searchService.parse(['Observation'], [['subject', 'Patient/patient-b']], true)
      .request.filters;
    if (filter.kind !== 'reference') throw new Error('a reference filter was expected');
    expect(await asPatientA.findReferencing('Observation', filter)).toEqual([]);
    // B's new Observation, held in a transaction of many writes of the server, is not shown to A.
    await rolledBack(async (many) => {
      await many.insert(version(observation('obs-b-held', 'patient-b')));
      const held = (await many.findReferencing('Observation', filter)).map(
        (c) => (JSON.parse(c) as Observation).id,
      );
      expect(held.sort()).toEqual(['obs-b', 'obs-b-held']);
      expect(await many.withRules(asPatientA.rules).findReferencing('Observation', filter)).toEqual([]);
    }, 'many writes');
  },
  lockForUpdate: async () => {
    await asPatientA.transaction(async (tx) => {
      await expect(tx.lockForUpdate([{ resourceType: 'Observation', id: 'obs-b' }])).resolves.toBeUndefined();
      expect(await tx.read('Observation', 'obs-b')).toBeUndefined();
    });
  },
  afterCommit: async () => {
    let ran = false;
    asPatientA.afterCommit(() => (ran = true)); // the caller's own code, no data
    expect(ran).toBe(true);
  },
  beforeCommit: async () => {
    await asPatientA.beforeCommit(async (committing) => {
      expect(await committing.read('Observation', 'obs-b')).toBeUndefined();
    });
  },
  collectBeforeCommit: async () => {
    await asPatientA.collectBeforeCommit('test', [1], async (items, committing) => {
      expect(items).toEqual([1]);
      expect(await committing.read('Observation', 'obs-b')).toBeUndefined();
    });
  },
  missingResources: async () => {
    // Referential integrity: whether a referenced id exists (no content). A write that refers to
    // B's resources is refused by the write's own checks (patient-writes.test.ts).
    expect(await asPatientA.missingResources([{ resourceType: 'Observation', id: 'nowhere' }])).toHaveLength(
      1,
    );
  },
  addToClientStorage: async () => {
    // The storage cap's counter of a client (auth/client-storage.ts charges the caller's own): no resource data.
    await rolledBack(async (tx) => {
      expect(
        await tx.withRules(asPatientA.rules).addToClientStorage('https://issuer.test|patient-app', 10),
      ).toBe(10);
    });
  },
  notify: async () => {
    await asPatientA.notify('repository_test'); // a NOTIFY without payload, no data
  },
  read: async () => {
    expect(await asPatientA.read('Observation', 'obs-b')).toBeUndefined();
    expect(await asPatientA.read('Patient', 'patient-b')).toBeUndefined();
    expect((await asPatientA.read('Observation', 'obs-a'))?.id).toBe('obs-a');
  },
  readForUpdate: async () => {
    await asPatientA.transaction(async (tx) => {
      await refused(tx.readForUpdate('Observation', 'obs-b'), 403);
      await refused(tx.readForUpdate('Observation', 'obs-b', 'delete'), 403);
      expect((await tx.readForUpdate('Observation', 'obs-a'))?.id).toBe('obs-a');
    });
  },
  readMany: async () => {
    const keys = [
      { resourceType: 'Observation', id: 'obs-a' },
      { resourceType: 'Observation', id: 'obs-b' },
      { resourceType: 'Patient', id: 'patient-b' },
    ];
    expect(ids(await asPatientA.readMany(keys))).toEqual(['obs-a']);
  },
  readVersion: async () => {
    await refused(asPatientA.readVersion('Observation', 'obs-b', 1), 404);
  },
  history: async () => {
    await refused(asPatientA.history({ resourceType: 'Observation', id: 'obs-b', count: 10 }), 404);
    await refused(asPatientA.history({ resourceType: 'Observation', count: 10 }), 403);
    await refused(asPatientA.history({ count: 10 }), 403);
  },
  countHistory: async () => {
    await refused(asPatientA.countHistory({ resourceType: 'Observation', id: 'obs-b' }), 404);
    await refused(asPatientA.countHistory({ resourceType: 'Observation' }), 403);
    await refused(asPatientA.countHistory({}), 403);
  },
  livePage: async () => {
    await refused(asPatientA.livePage('Observation', '0', 100), 403);
    await refused(asPatientA.livePage(undefined, '0', 100), 403);
  },
  countLive: async () => {
    await refused(asPatientA.countLive('Observation'), 403);
    await refused(asPatientA.countLive(undefined), 403);
  },
  searchPage: async () => {
    expect(ids(await asPatientA.searchPage(ALL_OBSERVATIONS))).toEqual(['obs-a']);
    expect(ids(await asPatientA.searchPage(ALL_OBSERVATIONS, 'criteria'))).toEqual(['obs-a']);
    expect(ids(await asPatientA.searchPage({ ...ALL_OBSERVATIONS, resourceTypes: ['Patient'] }))).toEqual([
      'patient-a',
    ]);
  },
  searchPageWithin: async () => {
    expect(ids((await asPatientA.searchPageWithin(ALL_OBSERVATIONS)).rows)).toEqual(['obs-a']);
  },
  searchPageAndIncluded: async () => {
    const include = {
      sourceType: 'Observation',
      targetType: undefined,
      referenceParams: ['subject'],
      localBase: server.ctx.config.baseUrl,
      fromFirst: 100,
    };
    const found = await asPatientA.searchPageAndIncluded(ALL_OBSERVATIONS, include);
    expect(ids(found.rows)).toEqual(['obs-a']);
    expect(ids(found.included ?? [])).not.toContain('patient-b');
  },
  countMatches: async () => {
    expect(await asPatientA.countMatches(ALL_OBSERVATIONS)).toBe(1);
    expect(await system.countMatches(ALL_OBSERVATIONS)).toBe(2);
  },
  fetchIncluded: async () => {
    const base = server.ctx.config.baseUrl;
    expect(
      ids(
        await system.fetchIncluded(
          [ridOf.observationB],
          { sourceType: 'Observation', targetType: undefined },
          ['subject'],
          base,
        ),
      ),
    ).toEqual(['patient-b']);
    expect(
      await asPatientA.fetchIncluded(
        [ridOf.observationB],
        { sourceType: 'Observation', targetType: undefined },
        ['subject'],
        base,
      ),
    ).toEqual([]);
  },
  fetchRevIncluded: async () => {
    const base = server.ctx.config.baseUrl;
    expect(ids(await system.fetchRevIncluded([ridOf.patientB], 'Observation', ['subject'], base))).toEqual([
      'obs-b',
    ]);
    expect(await asPatientA.fetchRevIncluded([ridOf.patientB], 'Observation', ['subject'], base)).toEqual([]);
  },
  insert: async () => {
    await refused(asPatientA.insert(version(observation('obs-b-new', 'patient-b'))), 403);
    expect(await system.read('Observation', 'obs-b-new')).toBeUndefined();
  },
  insertMany: async () => {
    await refused(asPatientA.insertMany([version(observation('obs-b-many', 'patient-b'))]), 403);
    expect(await system.read('Observation', 'obs-b-many')).toBeUndefined();
  },
  replace: async () => {
    const ridA = (await system.read('Observation', 'obs-a'))!.rid;
    await asPatientA.transaction(async (tx) => {
      // B's resource, even rewritten into A's compartment; and A's resource moved to B.
      await refused(tx.replace(ridOf.observationB, version(observation('obs-b', 'patient-a'), 2)), 403);
      await refused(tx.replace(ridA, version(observation('obs-a', 'patient-b'), 2)), 403);
    });
  },
  reindex: async () => {
    await refused(
      asPatientA.reindex(
        ridOf.observationB,
        'Observation',
        server.ctx.extractor.extract(observation('obs-b', 'patient-a')),
      ),
      403,
    );
  },
  markDeleted: async () => {
    await asPatientA.transaction(async (tx) => {
      await refused(
        tx.markDeleted(ridOf.observationB, 'Observation', 'obs-b', 2, new Date().toISOString()),
        403,
      );
    });
  },
  idsMeeting: async () => {
    await refused(asPatientA.idsMeeting('Observation', sql`true`, 10), 403);
  },
  idsAmongMeeting: async () => {
    await refused(asPatientA.idsAmongMeeting('Observation', ['obs-b'], sql`true`), 403);
  },
  typedIdsMeeting: async () => {
    await refused(
      asPatientA.typedIdsMeeting(
        ['Observation'],
        { kind: 'id', values: ['obs-b'], not: false },
        () => sql`true`,
        10,
      ),
      403,
    );
  },
  rowMeets: async () => {
    await refused(asPatientA.rowMeets('Observation', 'obs-b', sql`true`), 403);
  },
};

class Rollback extends Error {}

/** Runs work in a transaction of the server that is rolled back. */
/** Runs work in a transaction of the server that rolls back (one of many writes: its writes held back). */
async function rolledBack(
  work: (tx: Repository) => Promise<void>,
  kind: 'plain' | 'many writes' = 'plain',
): Promise<void> {
  const run = (inner: (tx: Repository) => Promise<void>) =>
    kind === 'plain' ? system.transaction(inner) : system.transactionOfManyWrites(inner);
  await run(async (tx) => {
    await work(tx);
    throw new Rollback();
  }).catch((error: unknown) => {
    if (!(error instanceof Rollback)) throw error;
  });
}

beforeAll(async () => {
  server = await startTestServer();
  const { service } = server.ctx;
  for (const id of ['patient-a', 'patient-b'])
    await service.update('Patient', id, { resourceType: 'Patient', id, name: [{ family: id }] } as Patient);
  await service.update('Observation', 'obs-a', observation('obs-a', 'patient-a'));
  await service.update('Observation', 'obs-b', observation('obs-b', 'patient-b'));
  system = service.repository;
  ridOf = {
    patientB: (await system.read('Patient', 'patient-b'))!.rid,
    observationB: (await system.read('Observation', 'obs-b'))!.rid,
  };
  const principal: Principal = {
    clientId: 'patient-app',
    subject: 'patient-a',
    issuer: 'https://issuer.test',
    user: undefined,
    patient: 'patient-a',
    scopes: parseScopes('patient/*.cruds').resources,
    tokenId: undefined,
  };
  const policy = new AccessPolicy(principal, new Set(server.ctx.config.authPublicTypes));
  const audit = new RequestAudit({
    requestId: 'test',
    method: 'GET',
    path: '/fhir',
    query: undefined,
    ip: undefined,
  });
  const access = new RequestAccess(policy, audit, {
    extractor: server.ctx.extractor,
    search: server.ctx.searchService,
    baseUrl: server.ctx.config.baseUrl,
  });
  asPatientA = system.withRules(access);
});

afterAll(async () => {
  await server.close();
});

test('every method of the Repository has a case here', () => {
  const methods = Object.getOwnPropertyNames(Repository.prototype).filter((name) => {
    const descriptor = Object.getOwnPropertyDescriptor(Repository.prototype, name)!;
    return name !== 'constructor' && typeof descriptor.value === 'function';
  });
  expect(methods.filter((m) => !(m in cases))).toEqual([]);
  expect(Object.keys(cases).filter((c) => !methods.includes(c))).toEqual([]);
});

test.each(Object.keys(cases))('under patient A, %s reaches nothing of patient B', async (method) => {
  await cases[method]();
});

test("patient B's data is as it was", async () => {
  const stored = await system.read('Observation', 'obs-b');
  expect(stored).toMatchObject({ versionId: 1, deleted: false });
  expect(JSON.parse(stored!.content).subject.reference).toBe('Patient/patient-b');
  expect(await system.countMatches(ALL_OBSERVATIONS)).toBe(2);
});
