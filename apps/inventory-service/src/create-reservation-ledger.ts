import { appendToOutbox } from '@switchboard/event-bus';
import { DomainError } from '@switchboard/errors';
import {
  sql,
  type Kysely,
  type RawBuilder,
  type Selectable,
  runInTransaction,
} from '@switchboard/storage';
import type { Clock } from '@switchboard/timing';
import type { InventoryDatabase, ReservationsTable } from './inventory-schema';
import { productUpsertedEvent, type ProductRow } from './product-messages';
import { availabilityOf, readStock, stockBySku, type ItemAvailability } from './read-stock';
import type { Price, RequestedItem } from './validate-inventory-requests';

/**
 * On whose behalf: a reservation belongs to the customer it was made for. A
 * service settling orders (commit, release, return) may act on any.
 */
export interface Actor {
  userId: string;
  anyReservation: boolean;
}

export interface ReservedLine {
  sku: string;
  quantity: number;
  unitPrice: Price;
}

export interface ReserveInput {
  reservationId: string;
  items: readonly RequestedItem[];
}

export interface ReservationLedger {
  /** All or nothing; idempotent by reservation id. Returns lines in request order. */
  reserve(input: ReserveInput, actor: Actor): Promise<ReservedLine[]>;
  /** Held stock becomes sold stock. Idempotent. */
  commit(reservationId: string, actor: Actor): Promise<void>;
  /** Held stock becomes available again. Idempotent. */
  release(reservationId: string, actor: Actor): Promise<void>;
  /**
   * Sold stock of a committed reservation goes back on hand (its order was
   * cancelled), announced by ProductUpserted per sku. Idempotent.
   */
  returnCommitted(reservationId: string, actor: Actor): Promise<void>;
  /**
   * Reserve and commit in one transaction: the stock is sold at once, recorded
   * as a committed reservation with the order id as its id. All or nothing;
   * idempotent by id; refused once the id was voided.
   */
  allocate(input: ReserveInput, actor: Actor): Promise<ReservedLine[]>;
  /**
   * Makes the id's fate final: its sold lines if it was allocated (or
   * committed), else undefined, after giving back what it held and fencing
   * the id against a late allocate. Idempotent.
   */
  voidAllocation(reservationId: string, actor: Actor): Promise<ReservedLine[] | undefined>;
  /** Gives back the stock of held reservations past their expiry; returns how many it closed. */
  expireDue(limit?: number): Promise<number>;
}

export interface ReservationLedgerOptions {
  db: Kysely<InventoryDatabase>;
  /** How long a reservation holds stock before it may be expired. */
  ttlMs: number;
  /** CloudEvents source of the ProductUpserted events a return writes. */
  source: string;
  /**
   * What the TTL is measured with. By default the database's now(), so
   * replicas whose clocks drift still agree on what is due; a test passes a
   * manual clock and steps past the TTL instead of sleeping through it.
   */
  clock?: Clock;
}

type ReservationRow = Selectable<ReservationsTable> & { past_expiry: boolean };
type Db = Kysely<InventoryDatabase>;
/** A reservation row as first written; its times are computed by the database. */
interface NewReservation {
  reservation_id: string;
  owner_user_id: string;
  status: ReservationsTable['status'];
  expires_at: RawBuilder<Date>;
  closed_at?: RawBuilder<Date>;
}
/** The instant a TTL is compared with, as SQL. */
type SqlNow = () => RawBuilder<Date>;

const databaseNow: SqlNow = () => sql<Date>`now()`;
const clockNow =
  (clock: Clock): SqlNow =>
  () =>
    sql<Date>`${new Date(clock.now()).toISOString()}::timestamptz`;

/**
 * A failure decided inside a transaction whose writes must still commit (a
 * late commit expires the reservation it finds): returned, not thrown, so the
 * transaction commits first and the error reaches the caller afterwards.
 */
interface Outcome<T> {
  value?: T;
  error?: DomainError;
}

async function settle<T>(outcome: Promise<Outcome<T>>): Promise<T> {
  const { value, error } = await outcome;
  if (error !== undefined) throw error;
  return value as T;
}

function reservationNotFound(reservationId: string): DomainError {
  return new DomainError('RESERVATION_NOT_FOUND', `reservation ${reservationId} not found`, {
    details: { reservationId },
  });
}

function closed(row: ReservationRow, action: string, why: string): DomainError {
  return new DomainError(
    'RESERVATION_CLOSED',
    `cannot ${action} reservation ${row.reservation_id}: ${why}`,
    { details: { reservationId: row.reservation_id, status: row.status } },
  );
}

/** The same lines, whatever order they were listed in. */
function sameItems(a: readonly RequestedItem[], b: readonly RequestedItem[]): boolean {
  if (a.length !== b.length) return false;
  const wanted = new Map(a.map((i) => [i.sku, i.quantity]));
  return b.every((i) => wanted.get(i.sku) === i.quantity);
}

const bySku = <T extends { sku: string }>(a: T, b: T) =>
  a.sku < b.sku ? -1 : a.sku > b.sku ? 1 : 0;

/** The reservation row, and whether its TTL has run out by `now`. */
function selectReservation(trx: Db, reservationId: string, now: SqlNow) {
  return trx
    .selectFrom('reservations')
    .selectAll()
    .select(sql<boolean>`expires_at <= ${now()}`.as('past_expiry'))
    .where('reservation_id', '=', reservationId);
}

async function lockReservation(
  trx: Db,
  reservationId: string,
  now: SqlNow,
): Promise<ReservationRow | undefined> {
  return selectReservation(trx, reservationId, now).forUpdate().executeTakeFirst();
}

/**
 * Inserts the reservation row unless its id is taken; true when this call
 * took it. Claiming the id first makes the id the idempotency lock: a
 * concurrent twin waits here for this transaction, then finds the row.
 */
async function claimReservationId(trx: Db, row: NewReservation): Promise<boolean> {
  const claimed = await trx
    .insertInto('reservations')
    .values(row)
    .onConflict((oc) => oc.column('reservation_id').doNothing())
    .returning('reservation_id')
    .executeTakeFirst();
  return claimed !== undefined;
}

async function storeLines(trx: Db, reservationId: string, lines: readonly ReservedLine[]) {
  await trx
    .insertInto('reservation_items')
    .values(
      lines.map((line, position) => ({
        reservation_id: reservationId,
        sku: line.sku,
        position,
        quantity: line.quantity,
        currency_code: line.unitPrice.currencyCode,
        price_minor: line.unitPrice.amountMinor,
      })),
    )
    .execute();
}

/** Someone else's id: refused without saying what they reserved. */
function idTaken(reservationId: string): DomainError {
  return new DomainError(
    'RESERVATION_MISMATCH',
    `reservation id ${reservationId} is already used by another request; choose a new id`,
    { details: { reservationId } },
  );
}

/**
 * The stored lines of a repeated request, if it asks for the same items;
 * `differently` says what the caller did differently and how to recover.
 */
async function sameRequestLines(
  trx: Db,
  input: ReserveInput,
  differently: string,
): Promise<ReservedLine[]> {
  const lines = await storedLines(trx, input.reservationId);
  if (!sameItems(lines, input.items)) {
    throw new DomainError('RESERVATION_MISMATCH', differently, {
      details: { reservationId: input.reservationId },
    });
  }
  return lines;
}

const isShort = (a: ItemAvailability) => a.available < a.requested;

/** Other users' reservations do not exist as far as a customer can tell. */
function visibleTo(row: ReservationRow | undefined, actor: Actor): row is ReservationRow {
  return row !== undefined && (actor.anyReservation || row.owner_user_id === actor.userId);
}

/** The locked reservation the actor may settle; anyone else's is not found. */
async function lockOwnReservation(
  trx: Db,
  reservationId: string,
  actor: Actor,
  now: SqlNow,
): Promise<ReservationRow> {
  const row = await lockReservation(trx, reservationId, now);
  if (!visibleTo(row, actor)) throw reservationNotFound(reservationId);
  return row;
}

/**
 * Takes the quantities of the given reservations out of `reserved` (and, when
 * committing, out of `on_hand` too), one statement per sku in sku order: every
 * transaction here locks product rows in that order, so two never deadlock.
 */
async function returnHeldStock(trx: Db, reservationIds: readonly string[], sold: boolean) {
  const totals = await trx
    .selectFrom('reservation_items')
    .select(['sku', (eb) => eb.fn.sum<bigint>('quantity').as('quantity')])
    .where('reservation_id', 'in', reservationIds)
    .groupBy('sku')
    .orderBy('sku')
    .execute();
  for (const { sku, quantity } of totals) {
    const q = Number(quantity);
    await trx
      .updateTable('products')
      .set((eb) => ({
        reserved: eb('reserved', '-', q),
        ...(sold ? { on_hand: eb('on_hand', '-', q) } : {}),
      }))
      .where('sku', '=', sku)
      .execute();
  }
}

async function closeReservations(
  trx: Db,
  reservationIds: readonly string[],
  status: 'committed' | 'released' | 'expired',
) {
  await returnHeldStock(trx, reservationIds, status === 'committed');
  await trx
    .updateTable('reservations')
    .set({ status, closed_at: sql<Date>`now()` })
    .where('reservation_id', 'in', reservationIds)
    .execute();
}

async function storedLines(trx: Db, reservationId: string): Promise<ReservedLine[]> {
  const rows = await trx
    .selectFrom('reservation_items')
    .select(['sku', 'quantity', 'currency_code', 'price_minor'])
    .where('reservation_id', '=', reservationId)
    .orderBy('position')
    .execute();
  return rows.map((r) => ({
    sku: r.sku,
    quantity: r.quantity,
    unitPrice: { currencyCode: r.currency_code, amountMinor: r.price_minor },
  }));
}

/** A repeat of ReserveStock: the first result if it is the same request, else a refusal. */
async function replay(
  trx: Db,
  input: ReserveInput,
  actor: Actor,
  now: SqlNow,
): Promise<ReservedLine[]> {
  const { reservationId } = input;
  const row = await selectReservation(trx, reservationId, now).executeTakeFirstOrThrow();
  if (!visibleTo(row, actor)) throw idTaken(reservationId);
  const lines = await sameRequestLines(
    trx,
    input,
    `reservation ${reservationId} was made with different items; retry with the same items or use a new reservation id`,
  );
  if (
    row.status === 'released' ||
    row.status === 'expired' ||
    row.status === 'returned' ||
    (row.status === 'held' && row.past_expiry)
  ) {
    // The stock went back; answering "reserved" would promise what is no longer held.
    throw closed(
      row,
      'repeat',
      `it is ${row.status === 'held' ? 'expired' : row.status}; reserve again with a new reservation id`,
    );
  }
  return lines;
}

/** A repeat of AllocateStock: the first result if it is the same request and still sold. */
async function replayAllocation(
  trx: Db,
  input: ReserveInput,
  actor: Actor,
  now: SqlNow,
): Promise<ReservedLine[]> {
  const { reservationId } = input;
  const row = await lockReservation(trx, reservationId, now);
  if (row === undefined) throw reservationNotFound(reservationId);
  // Checked before ownership: a voided id is fenced whoever asks, and says nothing else.
  if (row.status !== 'committed' && row.status !== 'held') {
    throw closed(
      row,
      'allocate',
      `it is ${row.status}; its order cannot take stock any more, place it again`,
    );
  }
  if (!visibleTo(row, actor) || row.status === 'held') throw idTaken(reservationId);
  return sameRequestLines(
    trx,
    input,
    `order ${reservationId} was allocated with different items; retry with the same items or use a new order id`,
  );
}

/** The shortfalls behind a failed conditional update, read only on that (rare) path. */
async function refusalFor(trx: Db, items: readonly RequestedItem[]): Promise<DomainError> {
  // An unknown sku is refused by readStock itself, as PRODUCT_NOT_FOUND.
  return insufficientStock((await readStock(trx, items)).filter(isShort));
}

/**
 * Nothing reserved, and why, per sku: in the message for people, and as one
 * precondition per sku for programs, which fix the order and try again.
 */
function insufficientStock(shortfalls: readonly ItemAvailability[]): DomainError {
  const list = shortfalls
    .map((s) => `${s.sku} requested ${s.requested}, available ${s.available}`)
    .join('; ');
  return new DomainError('INSUFFICIENT_STOCK', `insufficient stock, nothing reserved: ${list}`, {
    details: { shortfalls },
    preconditions: shortfalls.map((s) => ({
      type: 'STOCK',
      subject: s.sku,
      description: `requested ${s.requested}, available ${s.available}`,
    })),
  });
}

/**
 * Puts the sold quantities of a committed reservation back on hand, in sku
 * order like every other product write here (the reservation row is already
 * locked by the caller, so the lock order is reservation, then products), and
 * announces each product as it now is. No stock limit is checked: the stock
 * was on hand before the sale, and refusing to take it back would leave it
 * nowhere.
 */
async function putSoldStockBack(trx: Db, reservationId: string, source: string) {
  const lines = await trx
    .selectFrom('reservation_items')
    .select(['sku', 'quantity'])
    .where('reservation_id', '=', reservationId)
    .orderBy('sku')
    .execute();
  const rows: ProductRow[] = [];
  for (const { sku, quantity } of lines) {
    rows.push(
      await trx
        .updateTable('products')
        .set((eb) => ({ on_hand: eb('on_hand', '+', quantity), updated_at: sql<Date>`now()` }))
        .where('sku', '=', sku)
        .returningAll()
        .executeTakeFirstOrThrow(),
    );
  }
  await appendToOutbox(trx, rows.map(productUpsertedEvent), { source });
}

/**
 * Reservations: stock set aside for an order before the order exists, then
 * committed (sold) or released (given back), or expired by the sweeper; sold
 * stock can come back later (returned) when the order is cancelled.
 */
export function createReservationLedger(options: ReservationLedgerOptions): ReservationLedger {
  const { db, ttlMs, source } = options;
  const now = options.clock ? clockNow(options.clock) : databaseNow;

  return {
    reserve(input, actor) {
      return runInTransaction(db, async (trx) => {
        // A twin that waited on the claim replays the first result.
        const claimed = await claimReservationId(trx, {
          reservation_id: input.reservationId,
          owner_user_id: actor.userId,
          status: 'held',
          expires_at: sql<Date>`${now()} + ${ttlMs}::double precision * interval '1 millisecond'`,
        });
        if (!claimed) return replay(trx, input, actor, now);

        // Row locks in sku order: concurrent reservations of overlapping skus
        // queue up instead of deadlocking, and each sees the stock the previous
        // one left.
        const products = await trx
          .selectFrom('products')
          .select(['sku', 'on_hand', 'reserved', 'currency_code', 'price_minor'])
          .where(
            'sku',
            'in',
            input.items.map((i) => i.sku),
          )
          .orderBy('sku')
          .forUpdate()
          .execute();
        const stock = stockBySku(products, input.items);
        const shortfalls = availabilityOf(input.items, stock).filter(isShort);
        if (shortfalls.length > 0) throw insufficientStock(shortfalls);

        for (const item of [...input.items].sort(bySku)) {
          // Conditional as well as locked: if anything ever bypassed the lock,
          // the update would match no row instead of overselling.
          const result = await trx
            .updateTable('products')
            .set((eb) => ({ reserved: eb('reserved', '+', item.quantity) }))
            .where('sku', '=', item.sku)
            .where(sql<boolean>`on_hand - reserved >= ${item.quantity}`)
            .executeTakeFirst();
          if (result.numUpdatedRows !== 1n) {
            throw new Error(`stock of ${item.sku} changed under a row lock`);
          }
        }

        const lines = input.items.map((item) => {
          const p = stock.get(item.sku);
          return {
            sku: item.sku,
            quantity: item.quantity,
            unitPrice: { currencyCode: p?.currency_code ?? '', amountMinor: p?.price_minor ?? 0n },
          };
        });
        await storeLines(trx, input.reservationId, lines);
        return lines;
      });
    },

    allocate(input, actor) {
      return runInTransaction(db, async (trx) => {
        // The row is born committed, since the stock leaves on hand in this
        // same transaction.
        const claimed = await claimReservationId(trx, {
          reservation_id: input.reservationId,
          owner_user_id: actor.userId,
          status: 'committed',
          expires_at: sql<Date>`now()`,
          closed_at: sql<Date>`now()`,
        });
        if (!claimed) return replayAllocation(trx, input, actor, now);

        // One conditional update per sku, in sku order (the lock order of every
        // product write here): it locks, checks and sells in one round trip. No
        // row back means unknown or short; the reason is read only then, and
        // the throw rolls back what earlier lines took.
        const prices = new Map<string, Price>();
        for (const item of [...input.items].sort(bySku)) {
          const row = await trx
            .updateTable('products')
            .set((eb) => ({ on_hand: eb('on_hand', '-', item.quantity) }))
            .where('sku', '=', item.sku)
            .where(sql<boolean>`on_hand - reserved >= ${item.quantity}`)
            .returning(['currency_code', 'price_minor'])
            .executeTakeFirst();
          if (row === undefined) throw await refusalFor(trx, input.items);
          prices.set(item.sku, { currencyCode: row.currency_code, amountMinor: row.price_minor });
        }
        const lines = input.items.map((item) => ({
          sku: item.sku,
          quantity: item.quantity,
          unitPrice: prices.get(item.sku) ?? { currencyCode: '', amountMinor: 0n },
        }));
        await storeLines(trx, input.reservationId, lines);
        return lines;
      });
    },

    voidAllocation(reservationId, actor) {
      return runInTransaction(db, async (trx) => {
        // A row with no items, already released, fences the id: a late
        // allocate (or reserve) finds it and is refused. Inserted first so that
        // a concurrent allocate of the id waits for this transaction.
        const fenced = await claimReservationId(trx, {
          reservation_id: reservationId,
          owner_user_id: actor.userId,
          status: 'released',
          expires_at: sql<Date>`now()`,
          closed_at: sql<Date>`now()`,
        });
        if (fenced) return undefined;
        const row = await lockReservation(trx, reservationId, now);
        if (row === undefined) throw reservationNotFound(reservationId);
        switch (row.status) {
          case 'committed':
            return storedLines(trx, reservationId);
          case 'held':
            // A ReserveStock under this id: nothing was sold, so the hold goes back.
            await closeReservations(trx, [reservationId], 'released');
            return undefined;
          case 'released':
          case 'expired':
          case 'returned':
            return undefined;
        }
      });
    },

    commit(reservationId, actor) {
      return settle(
        runInTransaction(db, async (trx): Promise<Outcome<void>> => {
          const row = await lockOwnReservation(trx, reservationId, actor, now);
          switch (row.status) {
            case 'committed':
              return {};
            case 'returned':
              // Not "already committed": the sale was undone, and a caller
              // told otherwise would count stock that is back on the shelf.
              throw closed(row, 'commit', 'it was committed and its stock returned since');
            case 'released':
              throw closed(row, 'commit', 'it was released');
            case 'expired':
              throw closed(row, 'commit', 'it expired and its stock was released');
            case 'held':
              if (row.past_expiry) {
                // Too late: expire it now rather than wait for the sweeper, so
                // the refusal and the stock's return happen together.
                await closeReservations(trx, [reservationId], 'expired');
                return { error: closed(row, 'commit', 'it expired and its stock was released') };
              }
              await closeReservations(trx, [reservationId], 'committed');
              return {};
          }
        }),
      );
    },

    release(reservationId, actor) {
      return runInTransaction(db, async (trx) => {
        const row = await lockOwnReservation(trx, reservationId, actor, now);
        switch (row.status) {
          case 'released':
          case 'expired':
            return;
          case 'committed':
            throw closed(row, 'release', 'it was committed and its stock is sold');
          case 'returned':
            throw closed(row, 'release', 'it was committed and its stock returned since');
          case 'held':
            await closeReservations(trx, [reservationId], 'released');
        }
      });
    },

    returnCommitted(reservationId, actor) {
      return runInTransaction(db, async (trx) => {
        // The reservation row lock serialises twin returns: the second waits
        // here, then sees 'returned' and adds nothing.
        const row = await lockOwnReservation(trx, reservationId, actor, now);
        switch (row.status) {
          case 'returned':
            return;
          case 'held':
            throw closed(row, 'return', 'it is held, not sold; release it instead');
          case 'released':
            throw closed(row, 'return', 'it was released, so nothing was sold');
          case 'expired':
            throw closed(row, 'return', 'it expired, so nothing was sold');
          case 'committed':
            await putSoldStockBack(trx, reservationId, source);
            await trx
              .updateTable('reservations')
              .set({ status: 'returned', returned_at: sql<Date>`now()` })
              .where('reservation_id', '=', reservationId)
              .execute();
        }
      });
    },

    expireDue(limit = 100) {
      return runInTransaction(db, async (trx) => {
        // SKIP LOCKED: two replicas sweeping at once take different rows, and a
        // reservation being committed right now is left to that commit.
        const due = await trx
          .selectFrom('reservations')
          .select('reservation_id')
          .where('status', '=', 'held')
          .where('expires_at', '<=', now())
          .orderBy('expires_at')
          .limit(limit)
          .forUpdate()
          .skipLocked()
          .execute();
        const ids = due.map((r) => r.reservation_id);
        if (ids.length > 0) await closeReservations(trx, ids, 'expired');
        return ids.length;
      });
    },
  };
}
