import { sql, type Generated, type Kysely } from 'kysely';
import type { DatabaseSchema } from './schema';
import type { Database } from './database';
import { databaseHandle } from './database-handle';

/** The tables of sql/016_cds_hooks.sql, as Kysely sees them. */
type CdsTables = {
  cds_client: {
    issuer: string;
    jwks: string | null;
    jwks_url: string | null;
    jku_allow_list: Generated<string>;
    enabled: Generated<boolean>;
    created_at: Generated<Date>;
    updated_at: Generated<Date>;
  };
  cds_used_jti: { issuer: string; jti: string; expires_at: Date };
  cds_card: {
    card_uuid: string;
    service_id: string;
    hook_instance: string;
    plan_id: string;
    issuer: string | null;
    offered_at: Generated<Date>;
  };
  cds_feedback: {
    id: Generated<string>;
    service_id: string;
    card_uuid: string;
    outcome: string;
    accepted_suggestions: string;
    override_reason_system: string | null;
    override_reason_code: string | null;
    override_comment: string | null;
    outcome_timestamp: Date;
    issuer: string | null;
    received_at: Generated<Date>;
  };
};

/** A CDS client this server trusts (CDS Hooks "Trusting CDS Clients"), by the `iss` of its JWTs. */
export interface CdsClient {
  issuer: string;
  /** Its public keys, given at registration, or... */
  jwks: { keys: unknown[] } | undefined;
  /** ...the URL where it publishes them. */
  jwksUrl: string | undefined;
  /** The `jku` header values it may send, besides jwksUrl. */
  jkuAllowList: string[];
  enabled: boolean;
}

export interface OfferedCard {
  cardUuid: string;
  serviceId: string;
  hookInstance: string;
  planId: string;
  issuer: string | undefined;
}

export interface FeedbackRow {
  serviceId: string;
  cardUuid: string;
  outcome: 'accepted' | 'overridden';
  acceptedSuggestions: string[];
  overrideReason: { system?: string; code?: string; comment?: string } | undefined;
  outcomeTimestamp: Date;
  issuer: string | undefined;
}

/** Per service and plan: cards offered, and distinct cards accepted or overridden. */
export interface FeedbackCount {
  serviceId: string;
  planId: string;
  offered: number;
  accepted: number;
  overridden: number;
  acceptedSuggestions: number;
}

/** The CDS Hooks tables: trusted clients, used JWT ids, offered cards and their feedback. */
export class CdsHooksStore {
  private readonly db: Kysely<DatabaseSchema & CdsTables>;

  constructor(database: Database) {
    this.db = databaseHandle(database).withTables<CdsTables>();
  }

  /**
   * Every (system, code) the `PlanDefinition?procedure=system|code&status=active` search matches,
   * with the id of the plan it finds: the plans' own procedure codes as indexed, and the source
   * codes that a current ConceptMap translates onto them (idx_translation, as the search's
   * translated branch reads it).
   */
  async activePlanProcedureCodes(): Promise<{ system: string; code: string; id: string }[]> {
    const active = sql`not r.deleted and exists (select 1 from idx_token s where s.rid = r.rid and s.resource_type = 'PlanDefinition' and s.param = 'status' and s.code = 'active')`;
    const { rows } = await sql<{ system: string; code: string; id: string }>`
      select t.system, t.code, r.id from idx_token t join resource r on r.rid = t.rid
        where t.resource_type = 'PlanDefinition' and t.param = 'procedure' and t.system is not null and t.code is not null and ${active}
      union
      select m.source_system as system, m.source_code as code, r.id from idx_translation m
        join idx_token t on t.code = m.target_code and t.system = m.target_system
        join resource r on r.rid = t.rid
        where t.resource_type = 'PlanDefinition' and t.param = 'procedure' and ${active}`.execute(this.db);
    return rows;
  }

  /** Adds a client, or replaces the registration of an existing one. */
  async registerClient(client: Omit<CdsClient, 'enabled'>): Promise<void> {
    const row = {
      issuer: client.issuer,
      jwks: client.jwks !== undefined ? JSON.stringify(client.jwks) : null,
      jwks_url: client.jwksUrl ?? null,
      jku_allow_list: JSON.stringify(client.jkuAllowList),
      enabled: true,
    };
    await this.db
      .insertInto('cds_client')
      .values(row)
      .onConflict((oc) => oc.column('issuer').doUpdateSet({ ...row, updated_at: new Date() }))
      .execute();
  }

  async findClient(issuer: string): Promise<CdsClient | undefined> {
    const row = await this.db.selectFrom('cds_client').selectAll().where('issuer', '=', issuer).executeTakeFirst();
    return row ? toClient(row) : undefined;
  }

  async listClients(): Promise<CdsClient[]> {
    return (await this.db.selectFrom('cds_client').selectAll().orderBy('issuer').execute()).map(toClient);
  }

  async removeClient(issuer: string): Promise<boolean> {
    const result = await this.db.deleteFrom('cds_client').where('issuer', '=', issuer).executeTakeFirst();
    return Number(result.numDeletedRows) > 0;
  }

  async setClientEnabled(issuer: string, enabled: boolean): Promise<boolean> {
    const result = await this.db.updateTable('cds_client').set({ enabled, updated_at: new Date() }).where('issuer', '=', issuer).executeTakeFirst();
    return Number(result.numUpdatedRows) > 0;
  }

  /**
   * Records a JWT's jti; false when this issuer already used it (a replay, on any instance).
   * Rows are kept until the JWT expires, then purged.
   */
  async useJti(issuer: string, jti: string, expiresAt: Date): Promise<boolean> {
    await this.db.deleteFrom('cds_used_jti').where('expires_at', '<', new Date()).execute();
    const inserted = await this.db
      .insertInto('cds_used_jti')
      .values({ issuer, jti, expires_at: expiresAt })
      .onConflict((oc) => oc.columns(['issuer', 'jti']).doNothing())
      .returning('jti')
      .executeTakeFirst();
    return inserted !== undefined;
  }

  /**
   * Records the cards a call returns, in one statement whose commit does not wait for the WAL
   * flush (set_config(..., true) lasts until the end of that statement's own transaction): the
   * EHR waits on this call, and a crash can lose at most the last fraction of a second of counts.
   */
  async recordCards(cards: OfferedCard[]): Promise<void> {
    if (cards.length === 0) return;
    const rows = cards.map((c) => sql`(${c.cardUuid}, ${c.serviceId}, ${c.hookInstance}, ${c.planId}, ${c.issuer ?? null})`);
    await sql`
      with relaxed as (select set_config('synchronous_commit', 'off', true))
      insert into cds_card (card_uuid, service_id, hook_instance, plan_id, issuer)
      select v.card_uuid, v.service_id, v.hook_instance, v.plan_id, v.issuer
      from (values ${sql.join(rows)}) as v(card_uuid, service_id, hook_instance, plan_id, issuer), relaxed`.execute(this.db);
  }

  async recordFeedback(rows: FeedbackRow[]): Promise<void> {
    if (rows.length === 0) return;
    await this.db
      .insertInto('cds_feedback')
      .values(
        rows.map((r) => ({
          service_id: r.serviceId,
          card_uuid: r.cardUuid,
          outcome: r.outcome,
          accepted_suggestions: JSON.stringify(r.acceptedSuggestions),
          override_reason_system: r.overrideReason?.system ?? null,
          override_reason_code: r.overrideReason?.code ?? null,
          override_comment: r.overrideReason?.comment ?? null,
          outcome_timestamp: r.outcomeTimestamp,
          issuer: r.issuer ?? null,
        })),
      )
      .execute();
  }

  /**
   * How often education was offered, accepted and overridden, per service and plan, for the
   * cards offered since `since` (docs/cds-hooks.md gives the same query in SQL).
   */
  async feedbackCounts(since: Date): Promise<FeedbackCount[]> {
    const rows = await sql<{ service_id: string; plan_id: string; offered: string; accepted: string; overridden: string; accepted_suggestions: string }>`
      select c.service_id, c.plan_id,
             count(*) as offered,
             count(*) filter (where fb.accepted) as accepted,
             count(*) filter (where fb.overridden) as overridden,
             coalesce(sum(sg.n), 0) as accepted_suggestions
      from cds_card c
      left join lateral (
        select bool_or(f.outcome = 'accepted') as accepted, bool_or(f.outcome = 'overridden') as overridden
        from cds_feedback f where f.card_uuid = c.card_uuid
      ) fb on true
      left join lateral (
        select count(distinct s.value) as n
        from cds_feedback f cross join json_array_elements_text(f.accepted_suggestions::json) s
        where f.card_uuid = c.card_uuid and f.outcome = 'accepted'
      ) sg on true
      where c.offered_at >= ${since}
      group by c.service_id, c.plan_id
      order by c.service_id, c.plan_id`.execute(this.db);
    return rows.rows.map((r) => ({
      serviceId: r.service_id,
      planId: r.plan_id,
      offered: Number(r.offered),
      accepted: Number(r.accepted),
      overridden: Number(r.overridden),
      acceptedSuggestions: Number(r.accepted_suggestions),
    }));
  }
}

function toClient(row: { issuer: string; jwks: string | null; jwks_url: string | null; jku_allow_list: string; enabled: boolean }): CdsClient {
  return {
    issuer: row.issuer,
    jwks: row.jwks !== null ? (JSON.parse(row.jwks) as { keys: unknown[] }) : undefined,
    jwksUrl: row.jwks_url ?? undefined,
    jkuAllowList: JSON.parse(row.jku_allow_list) as string[],
    enabled: row.enabled,
  };
}
