/**
 * The store's schema migrations: one list for both engines, written with Kysely's schema builder and
 * run by Kysely's migrator (its table `kysely_migration` records what was applied). A few column
 * types differ by engine and are named once, in `columnTypes`; everything else is the same text.
 *
 * Published migrations are never edited; a change of schema is a new entry of the list. Each engine
 * runs the whole list in one transaction, holding a lock, so that gateways starting together on one
 * database never race (src/store/sqlite/engine.ts, src/store/postgres/engine.ts).
 *
 * Stores written by Passerelle 0.1 kept their own per-component table `schema_migrations`: the first
 * migration adopts such a store when every component is at the last 0.1 version, adds what 0.1 had on
 * one engine only, and refuses any other state with a message saying what to do.
 */
import { sql, type Kysely, type Migration, type ColumnDataType, type CreateTableBuilder, type Expression } from 'kysely';
import { GatewayError } from '../domain/errors.js';
import type { Dialect } from './engine.js';

export interface MigrationContext {
  dialect: Dialect;
  /** PostgreSQL: the schema the store lives in (introspection lists every schema's tables). */
  schema: string | undefined;
}

// Kysely's migration functions receive an untyped database: the tables they create are not yet those
// of src/store/tables.ts.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyDb = Kysely<any>;

/** The types that differ: SQLite's STRICT tables know INTEGER, TEXT and BLOB only. */
function columnTypes(dialect: Dialect): { bigint: ColumnDataType; bytes: ColumnDataType; instant: ColumnDataType } {
  return dialect === 'sqlite' ? { bigint: 'integer', bytes: 'blob', instant: 'text' } : { bigint: 'bigint', bytes: 'bytea', instant: 'timestamptz' };
}

type Table = CreateTableBuilder<string, never>;

/** SQLite tables are STRICT (a value of the wrong type is refused, as PostgreSQL would). */
function finish(table: Table, dialect: Dialect, options: { withoutRowid?: boolean } = {}): Table {
  if (dialect !== 'sqlite') return table;
  return table.modifyEnd(options.withoutRowid ? sql`strict, without rowid` : sql`strict`);
}

/** An ever-growing key: SQLite's AUTOINCREMENT (never reused), PostgreSQL's identity. */
function sequenceColumn(table: Table, dialect: Dialect): Table {
  return dialect === 'sqlite'
    ? table.addColumn('seq', 'integer', (c) => c.primaryKey().autoIncrement())
    : table.addColumn('seq', 'bigint', (c) => c.primaryKey().generatedAlwaysAsIdentity());
}

const MESSAGE_STATUSES = sql`status in ('accepted', 'queued', 'acknowledged', 'dead-lettered', 'expired')`;

async function createSchema(db: AnyDb, dialect: Dialect): Promise<void> {
  const t = columnTypes(dialect);
  const create = (name: string) => db.schema.createTable(name);

  await finish(
    create('messages')
      .addColumn('message_id', 'text', (c) => c.primaryKey())
      .addColumn('type', 'text', (c) => c.notNull())
      .addColumn('version', 'integer', (c) => c.notNull())
      .addColumn('sender', 'text', (c) => c.notNull())
      .addColumn('recipient', 'text', (c) => c.notNull())
      .addColumn('in_reply_to', 'text')
      .addColumn('beneficiary', 'text', (c) => c.notNull())
      .addColumn('payload_sha256', 'text', (c) => c.notNull())
      .addColumn('status', 'text', (c) => c.notNull().check(MESSAGE_STATUSES as Expression<boolean>))
      .addColumn('audit_index', t.bigint, (c) => c.notNull())
      .addColumn('accepted_at', 'text', (c) => c.notNull())
      .addColumn('queued_at', 'text')
      .addColumn('acknowledged_at', 'text')
      .addColumn('dead_lettered_at', 'text')
      .addColumn('receipt', 'text')
      .addColumn('expired_at', 'text'),
    dialect,
  ).execute();
  await db.schema.createIndex('messages_beneficiary').on('messages').column('beneficiary').execute();
  await db.schema.createIndex('messages_unanswered').on('messages').columns(['type', 'status', 'accepted_at']).execute();

  await finish(
    sequenceColumn(create('outbox'), dialect)
      .addColumn('message_id', 'text', (c) => c.notNull().unique().references('messages.message_id'))
      .addColumn('body', 'text', (c) => c.notNull())
      .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('lease_owner', 'text')
      .addColumn('lease_until', t.instant),
    dialect,
  ).execute();

  await finish(
    create('audit_log')
      .addColumn('idx', t.bigint, (c) => c.primaryKey().check(sql`idx >= 0` as Expression<boolean>))
      .addColumn('entry', 'text', (c) => c.notNull())
      .addColumn('leaf_hash', 'text', (c) => c.notNull()),
    dialect,
  ).execute();
  await createAuditSequencer(db, dialect);
  await finish(
    create('audit_nodes')
      .addColumn('level', 'integer', (c) => c.notNull().check(sql`level > 0` as Expression<boolean>))
      .addColumn('idx', t.bigint, (c) => c.notNull())
      .addColumn('hash', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('audit_nodes_pkey', ['level', 'idx']),
    dialect,
    { withoutRowid: true },
  ).execute();
  await finish(
    create('audit_parties')
      .addColumn('partner', 'text', (c) => c.notNull())
      .addColumn('idx', t.bigint, (c) => c.notNull())
      .addPrimaryKeyConstraint('audit_parties_pkey', ['partner', 'idx']),
    dialect,
    { withoutRowid: true },
  ).execute();
  await finish(
    create('checkpoints')
      .addColumn('tree_size', t.bigint, (c) => c.primaryKey())
      .addColumn('root_hash', 'text', (c) => c.notNull())
      .addColumn('timestamp', 'text', (c) => c.notNull())
      .addColumn('signature', 'text', (c) => c.notNull()),
    dialect,
  ).execute();
  await finish(
    create('cosignatures')
      .addColumn('tree_size', t.bigint, (c) => c.notNull().references('checkpoints.tree_size'))
      .addColumn('partner', 'text', (c) => c.notNull())
      .addColumn('signature', 'text', (c) => c.notNull())
      .addColumn('signed_at', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('cosignatures_pkey', ['tree_size', 'partner']),
    dialect,
  ).execute();

  await finish(
    create('subjects')
      .addColumn('lookup', 'text', (c) => c.primaryKey())
      .addColumn('pseudonym', 'text', (c) => c.notNull().unique())
      .addColumn('pseudonym_key', t.bytes, (c) => c.notNull())
      .addColumn('wrapped_data_key', t.bytes)
      .addColumn('kek_id', 'text')
      .addColumn('taken_in_charge_at', 'text')
      .addColumn('created_at', 'text', (c) => c.notNull()),
    dialect,
  ).execute();
  await finish(
    create('dossier_documents')
      .addColumn('message_id', 'text', (c) => c.primaryKey())
      .addColumn('beneficiary', 'text', (c) => c.notNull())
      .addColumn('type', 'text', (c) => c.notNull())
      .addColumn('sender', 'text', (c) => c.notNull())
      .addColumn('recipient', 'text', (c) => c.notNull())
      .addColumn('accepted_at', 'text', (c) => c.notNull())
      .addColumn('sealed', t.bytes, (c) => c.notNull()),
    dialect,
  ).execute();
  await db.schema.createIndex('dossier_documents_beneficiary').on('dossier_documents').columns(['beneficiary', 'accepted_at']).execute();
  await finish(
    create('followers')
      .addColumn('beneficiary', 'text', (c) => c.notNull())
      .addColumn('partner', 'text', (c) => c.notNull())
      .addColumn('since', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('followers_pkey', ['beneficiary', 'partner']),
    dialect,
  ).execute();
  await finish(
    create('opt_outs')
      .addColumn('lookup', 'text', (c) => c.primaryKey())
      .addColumn('message_id', 'text', (c) => c.notNull())
      .addColumn('recorded_at', 'text', (c) => c.notNull()),
    dialect,
  ).execute();

  await finish(
    sequenceColumn(create('stats_facts'), dialect)
      .addColumn('message_id', 'text', (c) => c.notNull().unique())
      .addColumn('month', 'text', (c) => c.notNull())
      .addColumn('type', 'text', (c) => c.notNull())
      .addColumn('sender', 'text', (c) => c.notNull())
      .addColumn('recipient', 'text', (c) => c.notNull())
      .addColumn('permit_family', 'text')
      .addColumn('language_level', 'text')
      .addColumn('sent_on', 'text')
      .addColumn('answers', 'text')
      .addColumn('acknowledgement_status', 'text')
      .addColumn('event_type', 'text')
      .addColumn('days_from_orientation', 'integer'),
    dialect,
  ).execute();
  await db.schema.createIndex('stats_facts_answers').on('stats_facts').column('answers').execute();

  await finish(
    create('write_probe')
      .addColumn('id', 'integer', (c) => c.primaryKey().check(sql`id = 1` as Expression<boolean>))
      .addColumn('probed_at', 'text', (c) => c.notNull()),
    dialect,
  ).execute();
  await createSecretFingerprints(db, dialect);
}

async function createAuditSequencer(db: AnyDb, dialect: Dialect): Promise<void> {
  await finish(db.schema.createTable('audit_sequencer').addColumn('id', 'integer', (c) => c.primaryKey().check(sql`id = 1` as Expression<boolean>)), dialect).execute();
  await db.insertInto('audit_sequencer').values({ id: 1 }).execute();
}

async function createSecretFingerprints(db: AnyDb, dialect: Dialect): Promise<void> {
  await finish(
    db.schema
      .createTable('secret_fingerprints')
      .addColumn('file', 'text', (c) => c.primaryKey())
      .addColumn('fingerprint', 'text', (c) => c.notNull())
      .addColumn('recorded_at', 'text', (c) => c.notNull()),
    dialect,
  ).execute();
}

/** The components and last versions of a Passerelle 0.1 store (its `schema_migrations` table). */
const LEGACY_COMPONENTS: Record<Dialect, Record<string, number>> = {
  sqlite: { core: 1, 'audit-tree': 1, 'write-probe': 1, dossiers: 1, stats: 1 },
  postgres: { core: 1, 'audit-tree': 1, 'write-probe': 1, dossiers: 1, stats: 1, secrets: 1 },
};

async function tableNames(db: AnyDb, context: MigrationContext): Promise<Set<string>> {
  const tables = await db.introspection.getTables();
  return new Set(tables.filter((table) => context.schema === undefined || table.schema === context.schema).map((table) => table.name));
}

function legacyRefusal(detail: string): GatewayError {
  return new GatewayError(
    'store_unavailable',
    `The store was written by Passerelle 0.1 and ${detail}. Open it once with Passerelle 0.1.0 (it completes its own migrations), then start this version again; or restore a backup of the store.`,
  );
}

/** A Passerelle 0.1 store at its last schema becomes a store of this list's first migration. */
async function adoptLegacy(db: AnyDb, context: MigrationContext, tables: Set<string>): Promise<void> {
  const applied = await db.selectFrom('schema_migrations').select(['component', sql<number>`max(version)`.as('version')]).groupBy('component').execute();
  const versions = Object.fromEntries(applied.map((r: { component: string; version: number }) => [r.component, Number(r.version)]));
  const expected = LEGACY_COMPONENTS[context.dialect];
  for (const [component, version] of Object.entries(expected)) {
    if (versions[component] !== version) throw legacyRefusal(`its ${component} schema is at version ${versions[component] ?? 'none'}, not ${version}`);
  }
  if (tables.has('audit_tree_backfill')) {
    const pending = await db.selectFrom('audit_tree_backfill').select(sql<number>`count(*)`.as('n')).executeTakeFirstOrThrow();
    if (Number(pending.n) > 0) throw legacyRefusal('its audit tree was never completed');
    await db.schema.dropTable('audit_tree_backfill').execute();
  }
  if (!tables.has('audit_sequencer')) await createAuditSequencer(db, context.dialect);
  if (!tables.has('secret_fingerprints')) await createSecretFingerprints(db, context.dialect);
  const outboxColumns = (await db.introspection.getTables()).find((table) => table.name === 'outbox' && (context.schema === undefined || table.schema === context.schema))!.columns.map((c) => c.name);
  if (!outboxColumns.includes('lease_owner')) {
    await db.schema.alterTable('outbox').addColumn('lease_owner', 'text').execute();
    await db.schema.alterTable('outbox').addColumn('lease_until', columnTypes(context.dialect).instant).execute();
  }
  await db.schema.dropTable('schema_migrations').execute();
}

export function migrations(context: MigrationContext): Record<string, Migration> {
  return {
    '0001-exchange-store': {
      async up(db: AnyDb): Promise<void> {
        const tables = await tableNames(db, context);
        if (tables.has('schema_migrations')) return adoptLegacy(db, context, tables);
        await createSchema(db, context.dialect);
      },
    },
    // Gateway notices waiting for their recipient to register a usable OpenPGP key; the answers of a
    // message counted by an index (src/domain/dossier-limits.ts).
    '0002-held-notices-answer-index': {
      async up(db: AnyDb): Promise<void> {
        const t = columnTypes(context.dialect);
        await finish(
          db.schema
            .createTable('held_notices')
            .addColumn('message_id', 'text', (c) => c.primaryKey().references('messages.message_id'))
            .addColumn('recipient', 'text', (c) => c.notNull())
            .addColumn('sealed', t.bytes, (c) => c.notNull())
            .addColumn('wrapped_key', t.bytes, (c) => c.notNull())
            .addColumn('kek_id', 'text', (c) => c.notNull())
            .addColumn('held_at', 'text', (c) => c.notNull()),
          context.dialect,
        ).execute();
        await db.schema.createIndex('held_notices_recipient').on('held_notices').columns(['recipient', 'held_at']).execute();
        await db.schema.createIndex('messages_in_reply_to').on('messages').column('in_reply_to').execute();
      },
    },
    // The W3C Trace Context a message was accepted in, kept with its outbox row until the relay
    // publishes it (AMQP headers traceparent and tracestate; docs/monitoring.md); an index for the
    // operator's figures.
    '0003-outbox-trace-context-status-index': {
      async up(db: AnyDb): Promise<void> {
        await db.schema.alterTable('outbox').addColumn('trace_parent', 'text').execute();
        await db.schema.alterTable('outbox').addColumn('trace_state', 'text').execute();
        // The operator's count of dead letters (src/store/operations.ts) without reading every message.
        await db.schema.createIndex('messages_status').on('messages').column('status').execute();
      },
    },
    // What the auditor filters the log by (event, time, message, person's pseudonym), as columns with
    // indexes: the entry itself is canonical JSON text, which neither engine indexes the same way.
    '0004-audit-facets': {
      async up(db: AnyDb): Promise<void> {
        await createAuditFacets(db, context.dialect);
      },
    },
    // Which kept documents each dossier notice disclosed, and to whom through the notice's own row: a
    // rectification goes to exactly the partners that received the corrected document, and the person's
    // access report (RGPD art. 15) names each document a dossier carried. Identifiers only; the rows of
    // a person go with the dossier when it is destroyed.
    '0005-dossier-disclosures': {
      async up(db: AnyDb): Promise<void> {
        await finish(
          db.schema
            .createTable('dossier_disclosures')
            .addColumn('notice_id', 'text', (c) => c.notNull().references('messages.message_id'))
            .addColumn('document_id', 'text', (c) => c.notNull())
            .addColumn('beneficiary', 'text', (c) => c.notNull())
            .addPrimaryKeyConstraint('dossier_disclosures_pk', ['notice_id', 'document_id']),
          context.dialect,
          { withoutRowid: true },
        ).execute();
        await db.schema.createIndex('dossier_disclosures_document').on('dossier_disclosures').column('document_id').execute();
        await db.schema.createIndex('dossier_disclosures_beneficiary').on('dossier_disclosures').column('beneficiary').execute();
      },
    },
    // The categories of an end-of-CIR review (src/stats/facts.ts): final status, level reached,
    // certification obtained or not, declared situation, post-CIR orientation. Never a date or an
    // identifier of the person.
    '0006-cir-review-facts': {
      async up(db: AnyDb): Promise<void> {
        for (const column of ['final_status', 'level_reached', 'declared_situation', 'post_cir_orientation']) {
          await db.schema.alterTable('stats_facts').addColumn(column, 'text').execute();
        }
        await db.schema.alterTable('stats_facts').addColumn('certified', 'integer').execute();
      },
    },
    // Finding a beneficiary among an agency's job seekers (POST /v1/beneficiary-lookups): the index of
    // keyed identities (src/privacy/identity-key.ts) to the person's pseudonym, written when an
    // orientation is accepted and deleted with the subject; and one row per lookup, which the per-agency
    // limits count (in the store, so that every gateway instance counts the same lookups) and the
    // auditor's summary groups. No column holds a name, a date of birth or a reference.
    '0007-beneficiary-index': {
      async up(db: AnyDb): Promise<void> {
        await finish(
          db.schema
            .createTable('beneficiary_index')
            .addColumn('identity_key', 'text', (c) => c.notNull())
            .addColumn('beneficiary', 'text', (c) => c.notNull())
            .addPrimaryKeyConstraint('beneficiary_index_pk', ['identity_key', 'beneficiary']),
          context.dialect,
          { withoutRowid: true },
        ).execute();
        await db.schema.createIndex('beneficiary_index_beneficiary').on('beneficiary_index').column('beneficiary').execute();
        await finish(
          db.schema
            .createTable('beneficiary_lookups')
            .addColumn('lookup_id', 'text', (c) => c.primaryKey())
            .addColumn('agency', 'text', (c) => c.notNull())
            .addColumn('at', 'text', (c) => c.notNull())
            .addColumn('outcome', 'text', (c) => c.notNull().check(sql`outcome in ('known', 'unknown', 'refused')` as Expression<boolean>)),
          context.dialect,
        ).execute();
        await db.schema.createIndex('beneficiary_lookups_agency_at').on('beneficiary_lookups').columns(['agency', 'at']).execute();
        await db.schema.createIndex('beneficiary_lookups_at').on('beneficiary_lookups').column('at').execute();
      },
    },
    // The efficacy statistics (src/stats/efficacy.ts): a fact's cohort (the message id of the
    // orientation that started the person's path, never a pseudonym), the orientation's sex, age band
    // and pathway, the contract kind of an employment. Facts written before keep what can be known
    // without the documents: an orientation is its own cohort, an answer to an orientation joins it;
    // the new categories stay empty (the birth date was never kept, so no age band can be worked out).
    '0010-efficacy-facts': {
      async up(db: AnyDb): Promise<void> {
        for (const column of ['cohort', 'sex', 'age_band', 'pathway', 'contract_kind']) await db.schema.alterTable('stats_facts').addColumn(column, 'text').execute();
        await db.schema.createIndex('stats_facts_cohort').on('stats_facts').column('cohort').execute();
        await db.updateTable('stats_facts').set({ cohort: sql`message_id` }).where('type', '=', 'orientation').execute();
        await db
          .updateTable('stats_facts')
          .set({ cohort: sql`answers` })
          .where('cohort', 'is', null)
          .where('answers', 'in', db.selectFrom('stats_facts as o').select('o.message_id').where('o.type', '=', 'orientation'))
          .execute();
      },
    },
    // Execution receipts of withdrawal notices and their reminders; the erasure tombstone; the
    // withdrawal of health consent (docs/interface.md, withdrawal execution receipts). No column names
    // or pseudonymises a person: notices by id, tombstones by lookup.
    '0009-withdrawal-receipts': {
      async up(db: AnyDb): Promise<void> {
        const t = columnTypes(context.dialect);
        await finish(
          db.schema
            .createTable('withdrawal_receipts')
            .addColumn('notice_id', 'text', (c) => c.primaryKey().references('messages.message_id'))
            .addColumn('recipient', 'text', (c) => c.notNull())
            .addColumn('reason', 'text', (c) => c.notNull())
            .addColumn('sent_at', 'text', (c) => c.notNull())
            .addColumn('answered_at', 'text')
            .addColumn('status', 'text', (c) => c.check(sql`status in ('EFFECTUE', 'REFUSE_MOTIF_LEGAL')`))
            .addColumn('legal_ground', 'text')
            .addColumn('receipt_id', 'text')
            .addColumn('executed_on', 'text')
            .addColumn('reminders', 'integer', (c) => c.notNull().defaultTo(0))
            .addColumn('last_reminded_at', 'text'),
          context.dialect,
        ).execute();
        await db.schema.createIndex('withdrawal_receipts_outstanding').on('withdrawal_receipts').columns(['answered_at', 'sent_at']).execute();
        await db.schema.createIndex('withdrawal_receipts_recipient').on('withdrawal_receipts').columns(['recipient', 'sent_at']).execute();
        await finish(
          db.schema
            .createTable('withdrawal_reminders')
            .addColumn('message_id', 'text', (c) => c.primaryKey().references('messages.message_id'))
            .addColumn('notice_id', 'text', (c) => c.notNull().references('withdrawal_receipts.notice_id')),
          context.dialect,
        ).execute();
        await finish(
          db.schema
            .createTable('withdrawal_notice_copies')
            .addColumn('notice_id', 'text', (c) => c.primaryKey().references('withdrawal_receipts.notice_id'))
            .addColumn('sealed', t.bytes, (c) => c.notNull())
            .addColumn('wrapped_key', t.bytes, (c) => c.notNull())
            .addColumn('kek_id', 'text', (c) => c.notNull()),
          context.dialect,
        ).execute();
        await finish(
          db.schema
            .createTable('erasure_tombstones')
            .addColumn('lookup', 'text', (c) => c.primaryKey())
            .addColumn('nature', 'text', (c) => c.notNull())
            .addColumn('recorded_at', 'text', (c) => c.notNull()),
          context.dialect,
        ).execute();
        await finish(
          db.schema
            .createTable('health_consent_withdrawals')
            .addColumn('lookup', 'text', (c) => c.primaryKey())
            .addColumn('message_id', 'text', (c) => c.notNull())
            .addColumn('recorded_at', 'text', (c) => c.notNull()),
          context.dialect,
        ).execute();
      },
    },
    // The cohort of a person's answer (src/store/statistics.ts) is their latest orientation: an index
    // that reads it as one entry, instead of every message of the person sorted. It replaces the index
    // on the person alone, whose queries it serves as well, so that an acceptance updates no more indexes.
    '0011-messages-beneficiary-type-index': {
      async up(db: AnyDb): Promise<void> {
        await db.schema.createIndex('messages_beneficiary_type').on('messages').columns(['beneficiary', 'type', 'audit_index']).execute();
        await db.schema.dropIndex('messages_beneficiary').ifExists().execute();
      },
    },
  };
}

/** Entries read per batch while the facets of an existing log are filled in. */
const FACET_BACKFILL_BATCH = 1000;

async function createAuditFacets(db: AnyDb, dialect: Dialect): Promise<void> {
  const t = columnTypes(dialect);
  await finish(
    db.schema
      .createTable('audit_facets')
      .addColumn('idx', t.bigint, (c) => c.primaryKey())
      .addColumn('event', 'text', (c) => c.notNull())
      .addColumn('at', 'text', (c) => c.notNull())
      .addColumn('message_id', 'text')
      .addColumn('beneficiary', 'text'),
    dialect,
  ).execute();
  for (const [name, column] of [['event', 'event'], ['at', 'at'], ['message', 'message_id'], ['beneficiary', 'beneficiary']] as const) {
    await db.schema.createIndex(`audit_facets_${name}`).on('audit_facets').columns([column, 'idx']).execute();
  }
  // A store written before this migration: its entries' facets, read from the entries themselves.
  for (let after = -1; ; ) {
    const batch = (await db.selectFrom('audit_log').select(['idx', 'entry']).where('idx', '>', after).orderBy('idx').limit(FACET_BACKFILL_BATCH).execute()) as Array<{ idx: number; entry: string }>;
    if (batch.length === 0) return;
    await db.insertInto('audit_facets').values(batch.map((r) => ({ idx: Number(r.idx), ...facetsOf(r.entry) }))).execute();
    after = Number(batch[batch.length - 1]!.idx);
  }
}

function facetsOf(entry: string): { event: string; at: string; message_id: string | null; beneficiary: string | null } {
  const fields = JSON.parse(entry) as Record<string, unknown>;
  const text = (value: unknown) => (typeof value === 'string' ? value : null);
  return { event: text(fields['event']) ?? '', at: text(fields['timestamp']) ?? '', message_id: text(fields['messageId']), beneficiary: text(fields['beneficiary']) };
}
