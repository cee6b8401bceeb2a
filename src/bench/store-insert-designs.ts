import { sql } from 'kysely';
import type { AdmittedClaim } from '../claim.ts';
import type { Executor } from '../store/dialect.ts';

export type StoreKind = 'postgres' | 'mysql';

/**
 * One way to shape the coupons table, for store-insert.ts: a database migrated through `migratedThrough`
 * (the latest migration when undefined), then `ddl` run on it. Every design is written to through the
 * store's real batch insert (store.insertCoupons), so the designs differ by their table alone.
 */
export interface InsertDesign {
  name: string;
  /** What it is, and whether it keeps the promises in the database (a design that does not is a reference). */
  description: string;
  migratedThrough?: string;
  ddl: string[];
  /** Its own batch insert, for a table the store's statement does not fit; the rows written. */
  insert?: (db: Executor, claims: AdmittedClaim[]) => Promise<number>;
}

/** The numbered-ticket constraints of PostgreSQL's coupons as migrations 0001–0005 left them. */
const pgBefore = '0005_event_shards';
const pgTermsForeignKey = 'coupons_event_id_event_stock_event_per_user_limit_fkey';

/**
 * The composite foreign key's work done once per statement: one anti-join of the inserted rows against
 * events, instead of a trigger and a `SELECT … FOR KEY SHARE` per row. The events' terms can no longer
 * change under the coupons (migration 0006 makes them immutable), so a check at insert time suffices.
 */
const pgStatementCheck = [
  `ALTER TABLE coupons DROP CONSTRAINT ${pgTermsForeignKey}`,
  `CREATE FUNCTION bench_coupons_terms() RETURNS trigger LANGUAGE plpgsql AS $$
   BEGIN
     IF EXISTS (SELECT 1 FROM new_coupons n LEFT JOIN events e
                ON e.id = n.event_id AND e.stock = n.event_stock AND e.per_user_limit = n.event_per_user_limit
                WHERE e.id IS NULL) THEN
       RAISE EXCEPTION 'coupon for an unknown event or with wrong terms' USING ERRCODE = 'foreign_key_violation';
     END IF;
     RETURN NULL;
   END $$`,
  `CREATE TRIGGER bench_coupons_terms AFTER INSERT ON coupons REFERENCING NEW TABLE AS new_coupons
   FOR EACH STATEMENT EXECUTE FUNCTION bench_coupons_terms()`,
];

/** Keys compared byte by byte: the server's default collation (C.UTF-8 here) goes through strcoll. */
const pgByteKeys = [
  `ALTER TABLE events ALTER COLUMN id TYPE text COLLATE "C"`,
  `ALTER TABLE coupons ALTER COLUMN event_id TYPE text COLLATE "C", ALTER COLUMN user_id TYPE text COLLATE "C",
   ALTER COLUMN claim_id TYPE text COLLATE "C"`,
];

/** The store's statement with the ticket as the conflict target: a redelivered claim has the same ticket. */
async function insertOnTicketConflict(db: Executor, claims: AdmittedClaim[]): Promise<number> {
  const column = <T>(pick: (c: AdmittedClaim) => T) => claims.map(pick);
  const result = await sql`
      INSERT INTO coupons (event_id, user_id, claim_id, seq, slot, event_stock, event_per_user_limit, admitted_at)
      SELECT u.event_id, u.user_id, u.claim_id, u.seq, u.slot, e.stock, e.per_user_limit,
        to_timestamp(u.admitted_at_ms / 1000.0)
      FROM unnest(
        ${column((c) => c.eventId)}::text[], ${column((c) => c.userId)}::text[], ${column((c) => c.claimId)}::text[],
        ${column((c) => c.seq)}::int[], ${column((c) => c.slot)}::int[], ${column((c) => c.admittedAtMs)}::float8[]
      ) AS u(event_id, user_id, claim_id, seq, slot, admitted_at_ms)
      LEFT JOIN events e ON e.id = u.event_id
      ON CONFLICT (event_id, seq) DO NOTHING`.execute(db);
  return Number(result.numAffectedRows ?? 0);
}

const postgresDesigns: InsertDesign[] = [
  {
    name: 'one-unique-index',
    description: 'reference: the same columns and statement, claim_id the only index, no other constraint',
    migratedThrough: pgBefore,
    ddl: [
      `ALTER TABLE coupons DROP CONSTRAINT ${pgTermsForeignKey}, DROP CONSTRAINT coupons_seq_within_stock,
       DROP CONSTRAINT coupons_slot_within_limit, DROP CONSTRAINT coupons_one_per_ticket,
       DROP CONSTRAINT coupons_one_per_user_slot`,
    ],
  },
  {
    name: 'before (0005)',
    description: 'the table of migrations 0001–0005: 3 unique indexes, a composite foreign key checked per row',
    migratedThrough: pgBefore,
    ddl: [],
  },
  { name: 'latest', description: 'the table the latest migration makes', ddl: [] },
  {
    name: 'latest+byte-keys',
    description: 'latest with event, user and claim ids in the "C" collation',
    // An event's id cannot change type under the trigger that keeps it fixed: it steps aside meanwhile.
    ddl: [
      `DROP TRIGGER events_terms_fixed ON events`,
      ...pgByteKeys,
      `CREATE TRIGGER events_terms_fixed BEFORE UPDATE OF id, stock, per_user_limit OR DELETE ON events
       FOR EACH ROW EXECUTE FUNCTION events_keep_terms()`,
    ],
  },
  {
    name: 'bound:no-terms-check',
    description: 'latest without its statement check (a bound)',
    ddl: [`DROP TRIGGER coupons_event_terms_on_insert ON coupons`],
  },
  {
    name: 'bound:no-slot-index',
    description: 'latest without the user-slot index (a bound)',
    ddl: [`ALTER TABLE coupons DROP CONSTRAINT coupons_one_per_user_slot`],
  },
  {
    name: 'bound:no-ticket-index',
    description: 'latest without the ticket index (a bound)',
    ddl: [`ALTER TABLE coupons DROP CONSTRAINT coupons_one_per_ticket`],
  },
  {
    name: 'bound:no-checks',
    description: 'latest without the CHECKs on seq and slot (a bound)',
    ddl: [`ALTER TABLE coupons DROP CONSTRAINT coupons_seq_within_stock, DROP CONSTRAINT coupons_slot_within_limit`],
  },
  {
    name: 'no-foreign-key',
    description: 'reference, not exact: 0005 without the foreign key (a row may lie about stock)',
    migratedThrough: pgBefore,
    ddl: [`ALTER TABLE coupons DROP CONSTRAINT ${pgTermsForeignKey}`],
  },
  {
    name: 'statement-check',
    description: '0005 with the foreign key replaced by a statement-level trigger over the inserted rows',
    migratedThrough: pgBefore,
    ddl: pgStatementCheck,
  },
  {
    name: 'byte-keys',
    description: '0005 with event, user and claim ids in the "C" collation',
    migratedThrough: pgBefore,
    ddl: pgByteKeys,
  },
  {
    name: 'ticket-key',
    description:
      'statement-check, keyed by the ticket (event_id, seq): no unique index on claim_id, a hash index for look-ups',
    migratedThrough: pgBefore,
    ddl: [
      ...pgStatementCheck,
      `ALTER TABLE coupons DROP CONSTRAINT coupons_pkey, DROP CONSTRAINT coupons_one_per_ticket,
       ADD CONSTRAINT coupons_pkey PRIMARY KEY (event_id, seq)`,
      `CREATE INDEX coupons_claim ON coupons USING hash (claim_id)`,
    ],
    insert: insertOnTicketConflict,
  },
  {
    name: 'ticket-key-no-claim-index',
    description: 'ticket-key without the hash index: look-ups by claim id would read the whole table (a bound)',
    migratedThrough: pgBefore,
    ddl: [
      ...pgStatementCheck,
      `ALTER TABLE coupons DROP CONSTRAINT coupons_pkey, DROP CONSTRAINT coupons_one_per_ticket,
       ADD CONSTRAINT coupons_pkey PRIMARY KEY (event_id, seq)`,
    ],
    insert: insertOnTicketConflict,
  },
  {
    name: 'statement-check+byte-keys',
    description: 'both of the above',
    migratedThrough: pgBefore,
    ddl: [...pgByteKeys, ...pgStatementCheck],
  },
];

const mysqlBefore = '0001_schema';

const mysqlDesigns: InsertDesign[] = [
  {
    name: 'one-unique-index',
    description: 'reference: the same columns and statement, claim_id the only index, no other constraint',
    migratedThrough: mysqlBefore,
    ddl: [
      `ALTER TABLE coupons DROP FOREIGN KEY coupons_event`,
      `ALTER TABLE coupons DROP INDEX coupons_event, DROP CONSTRAINT coupons_seq_within_stock,
       DROP CONSTRAINT coupons_slot_within_limit, DROP INDEX coupons_one_per_ticket,
       DROP INDEX coupons_one_per_user_slot`,
    ],
  },
  {
    name: 'before (0001)',
    description: 'the table of migration 0001: clustered on claim_id, 3 unique keys, a foreign key and its index',
    migratedThrough: mysqlBefore,
    ddl: [],
  },
  { name: 'latest', description: 'the table the latest migration makes', ddl: [] },
  {
    name: 'no-foreign-key',
    description: 'reference, not exact: 0001 without the foreign key and its index (a row may lie about stock)',
    migratedThrough: mysqlBefore,
    ddl: [`ALTER TABLE coupons DROP FOREIGN KEY coupons_event`, `ALTER TABLE coupons DROP INDEX coupons_event`],
  },
  {
    name: 'clustered-on-ticket',
    description: '0001 clustered on the ticket (event_id, seq), claim_id a unique secondary key',
    migratedThrough: mysqlBefore,
    ddl: [
      `ALTER TABLE coupons DROP PRIMARY KEY, ADD PRIMARY KEY (event_id, seq), DROP INDEX coupons_one_per_ticket,
       ADD CONSTRAINT coupons_one_per_claim UNIQUE (claim_id)`,
    ],
  },
  {
    name: 'row-trigger',
    description: '0001 with the foreign key replaced by a BEFORE INSERT trigger that reads the event (no lock)',
    migratedThrough: mysqlBefore,
    ddl: [
      `ALTER TABLE coupons DROP FOREIGN KEY coupons_event`,
      `ALTER TABLE coupons DROP INDEX coupons_event`,
      `CREATE TRIGGER bench_coupons_terms BEFORE INSERT ON coupons FOR EACH ROW
       IF NOT EXISTS (SELECT 1 FROM events e WHERE e.id = NEW.event_id AND e.stock = NEW.event_stock
                      AND e.per_user_limit = NEW.event_per_user_limit) THEN
         SIGNAL SQLSTATE '23000' SET MESSAGE_TEXT = 'coupon for an unknown event or with wrong terms';
       END IF`,
    ],
  },
];

export const insertDesigns: Record<StoreKind, InsertDesign[]> = { postgres: postgresDesigns, mysql: mysqlDesigns };
