/**
 * The projector a NestJS team would write first with the framework's own Kafka transport, run
 * by bench:pipeline to show what the real projector's design is worth: `@EventPattern` on the
 * topic, one event per handler call, auto-commit off and a commit after each event, and for
 * each event one transaction that reads the order's row, folds the event into it with the same
 * pure projection (libs/order-view) and upserts the single row. No batching, no parking.
 *
 * Run as a child process through tsx. Env: KAFKA_BROKERS, KAFKA_SASL_USERNAME,
 * KAFKA_SASL_PASSWORD, NAIVE_TOPIC, NAIVE_GROUP_ID, DATABASE_URL.
 */
import 'reflect-metadata';
import { Controller, Inject, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import {
  Ctx,
  EventPattern,
  KafkaContext,
  Payload,
  Transport,
  type MicroserviceOptions,
} from '@nestjs/microservices';
import { Pool } from 'pg';
import type { RecordedOrderEvent } from '@app/order-events';
import { projectOrderEvent, type OrderView } from '@app/order-view';

const env = (name: string): string => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is required`);
  return value;
};
const TOPIC = env('NAIVE_TOPIC');
/** tsx does not emit decorator metadata: the pool is injected by an explicit token. */
const POOL = 'NAIVE_POOL';

@Controller()
class NaiveProjectionController {
  constructor(@Inject(POOL) private readonly pool: Pool) {}

  @EventPattern(TOPIC)
  async project(@Payload() event: RecordedOrderEvent, @Ctx() context: KafkaContext) {
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      const { rows } = await client.query<{ view: OrderView }>(
        'SELECT view FROM naive_order_view WHERE order_id = $1',
        [event.orderId],
      );
      const outcome = projectOrderEvent(rows[0]?.view, event);
      if (outcome.kind === 'applied') {
        await client.query(
          `INSERT INTO naive_order_view (order_id, version, view) VALUES ($1, $2, $3)
           ON CONFLICT (order_id) DO UPDATE SET version = excluded.version, view = excluded.view`,
          [event.orderId, outcome.view.version, JSON.stringify(outcome.view)],
        );
      }
      await client.query('COMMIT');
    } catch (error) {
      await client.query('ROLLBACK');
      throw error;
    } finally {
      client.release();
    }
    const offset = String(Number(context.getMessage().offset) + 1);
    await context
      .getConsumer()
      .commitOffsets([{ topic: TOPIC, partition: context.getPartition(), offset }]);
  }
}

@Module({
  controllers: [NaiveProjectionController],
  providers: [
    { provide: POOL, useFactory: () => new Pool({ connectionString: env('DATABASE_URL') }) },
  ],
})
class NaiveProjectorModule {}

async function main(): Promise<void> {
  const pool = new Pool({ connectionString: env('DATABASE_URL'), max: 1 });
  await pool.query(
    `CREATE TABLE IF NOT EXISTS naive_order_view
       (order_id text PRIMARY KEY, version int NOT NULL, view jsonb NOT NULL)`,
  );
  await pool.end();
  const app = await NestFactory.createMicroservice<MicroserviceOptions>(NaiveProjectorModule, {
    logger: ['error', 'warn'],
    transport: Transport.KAFKA,
    options: {
      postfixId: '',
      client: {
        clientId: 'naive-projector',
        brokers: env('KAFKA_BROKERS').split(','),
        sasl: {
          mechanism: 'scram-sha-512',
          username: env('KAFKA_SASL_USERNAME'),
          password: env('KAFKA_SASL_PASSWORD'),
        },
      },
      consumer: { groupId: env('NAIVE_GROUP_ID') },
      subscribe: { fromBeginning: true },
      run: { autoCommit: false },
    },
  });
  await app.listen();
  process.once('SIGTERM', () => void app.close().then(() => process.exit(0)));
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
