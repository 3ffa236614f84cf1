import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { OrderViewReplayEntity, ParkedEventEntity } from '@app/order-view';
import { CheckpointStore } from '../view/checkpoint.store';
import { OrderViewStore } from '../view/order-view.store';
import { CheckpointRepository } from './checkpoint.repository';
import { OrderViewRepository } from './order-view.repository';
import { ParkedEventRepository } from './parked-event.repository';
import { PostgresOrderViewStore } from './postgres-order-view.store';
import { ReadDatabase } from './read-database';
import { ReplayRepository } from './replay.repository';

/**
 * The projector's one persistence layer, shared by the live projection, the replays and the
 * admin API: a repository per concern (view, checkpoints, parked events, replays), and the
 * PostgreSQL adapters bound to the ports the view writer and the consumers depend on. Plain
 * lookups and lists (the admin's parked events, the running and latest replay) go through
 * TypeORM's repositories; the batch, its locks, its recordset statements and the history's COPY
 * are raw SQL on the DataSource's own pool.
 */
@Module({
  imports: [TypeOrmModule.forFeature([ParkedEventEntity, OrderViewReplayEntity])],
  providers: [
    ReadDatabase,
    OrderViewRepository,
    CheckpointRepository,
    ParkedEventRepository,
    ReplayRepository,
    { provide: OrderViewStore, useClass: PostgresOrderViewStore },
    { provide: CheckpointStore, useExisting: CheckpointRepository },
  ],
  exports: [
    ReadDatabase,
    OrderViewRepository,
    CheckpointRepository,
    ParkedEventRepository,
    ReplayRepository,
    OrderViewStore,
    CheckpointStore,
  ],
})
export class ProjectionPersistenceModule {}
