/**
 * The operator's figures, for both engines: the outbox backlog and its age, the notices held for a
 * recipient without a usable key, the dead-lettered messages, the withdrawal notices no agency answered. Read together (one snapshot) for
 * GET /v1/operator/status and /metrics (src/observability/); every query is a count or a minimum over
 * an index or a small table, so that a scrape costs the same whatever the size of the store.
 */
import type { OperationalFigures } from './port.js';
import { row, type Sql, type Tx } from './transaction.js';
import { outstandingReceipts } from './withdrawal-receipts.js';

export function* operationalFigures(sql: Sql): Tx<OperationalFigures> {
  const outbox = yield* row(sql.selectFrom('outbox').select((eb) => [eb.fn.countAll<number>().as('n'), eb.fn.min('seq').as('first')]));
  let outboxOldestAcceptedAt: string | undefined;
  if (outbox?.first !== null && outbox?.first !== undefined) {
    // The oldest row is the first one written (seq is ever-growing), and its message says when it was accepted.
    const oldest = yield* row(
      sql.selectFrom('outbox as o').innerJoin('messages as m', 'm.message_id', 'o.message_id').select('m.accepted_at').where('o.seq', '=', Number(outbox.first)),
    );
    outboxOldestAcceptedAt = oldest?.accepted_at;
  }
  const held = yield* row(sql.selectFrom('held_notices').select((eb) => eb.fn.countAll<number>().as('n')));
  const dead = yield* row(sql.selectFrom('messages').select((eb) => eb.fn.countAll<number>().as('n')).where('status', '=', 'dead-lettered'));
  return {
    outboxDepth: Number(outbox?.n ?? 0),
    outboxOldestAcceptedAt,
    heldNotices: Number(held?.n ?? 0),
    deadLettered: Number(dead?.n ?? 0),
    outstandingWithdrawalReceipts: yield* outstandingReceipts(sql),
  };
}
