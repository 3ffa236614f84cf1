import type { Pool } from 'pg';
import { DataSource, getMetadataArgsStorage } from 'typeorm';
import type { PostgresDriver } from 'typeorm/driver/postgres/PostgresDriver';
import { EntityMetadataBuilder } from 'typeorm/metadata-builder/EntityMetadataBuilder';
import { OrderViewReplayEntity, ParkedEventEntity, READ_MODEL_ENTITIES } from '@app/order-view';
import { CheckpointRepository } from '../src/persistence/checkpoint.repository';
import { OrderViewRepository } from '../src/persistence/order-view.repository';
import { ParkedEventRepository } from '../src/persistence/parked-event.repository';
import { PostgresOrderViewStore } from '../src/persistence/postgres-order-view.store';
import { ReadDatabase } from '../src/persistence/read-database';
import { ReplayRepository } from '../src/persistence/replay.repository';
import { OrderViewWriter } from '../src/view/order-view-writer';

/**
 * The read model's TypeORM DataSource on `pool`, as the app's is on its own pool (openDataSource):
 * no connection of its own, entity metadata built at once (synchronously, so a caller may use it
 * as soon as it has it).
 */
function dataSourceOn(pool: Pool): DataSource {
  const dataSource = new DataSource({ type: 'postgres', entities: READ_MODEL_ENTITIES });
  (dataSource.driver as PostgresDriver).master = pool;
  const entityMetadatas = new EntityMetadataBuilder(dataSource, getMetadataArgsStorage()).build(
    READ_MODEL_ENTITIES,
  );
  Object.assign(dataSource, {
    entityMetadatas,
    entityMetadatasMap: new Map(entityMetadatas.map((metadata) => [metadata.target, metadata])),
    isInitialized: true,
  });
  return dataSource;
}

/** The projector's persistence on `pool` and the view writer on it, wired as the module does. */
export function postgresProjection(pool: Pool) {
  const dataSource = dataSourceOn(pool);
  const view = new OrderViewRepository(pool);
  const parked = new ParkedEventRepository(pool, dataSource.getRepository(ParkedEventEntity));
  const replays = new ReplayRepository(pool, dataSource.getRepository(OrderViewReplayEntity));
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
