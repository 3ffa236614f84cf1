import type { Pool } from 'pg';
import { CheckpointRepository } from '../src/persistence/checkpoint.repository';
import { OrderViewRepository } from '../src/persistence/order-view.repository';
import { ParkedEventRepository } from '../src/persistence/parked-event.repository';
import { PostgresOrderViewStore } from '../src/persistence/postgres-order-view.store';
import { ReadDatabase } from '../src/persistence/read-database';
import { ReplayRepository } from '../src/persistence/replay.repository';
import { OrderViewWriter } from '../src/view/order-view-writer';

/** The projector's persistence on `pool` and the view writer on it, wired as the module does. */
export function postgresProjection(pool: Pool) {
  const view = new OrderViewRepository(pool);
  const parked = new ParkedEventRepository(pool);
  const replays = new ReplayRepository(pool);
  const store = new PostgresOrderViewStore(new ReadDatabase(pool), view, parked, replays);
  return {
    view,
    parked,
    replays,
    checkpoints: new CheckpointRepository(pool),
    store,
    writer: new OrderViewWriter(store),
  };
}
