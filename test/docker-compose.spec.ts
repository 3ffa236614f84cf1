import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { APP_ROLES, SUITE_DATABASES } from '../tools/db/provision';
import {
  KAFKA_AUTHORIZATION_SETTINGS,
  KAFKA_DURABILITY_SETTINGS,
} from '../tools/local-infra/kafka-broker-settings';

interface Service {
  image?: string;
  ports?: string[];
  build?: { context?: string; dockerfile?: string; target?: string };
  command?: string[];
  environment?: Record<string, string | number | boolean>;
  depends_on?: Record<string, { condition: string }>;
}

const root = join(__dirname, '..');
const read = (file: string) => readFileSync(join(root, file), 'utf8');

// `merge: true` resolves the `<<: *anchor` keys the way Docker Compose does.
const { services } = parse(read('docker-compose.yml'), { merge: true }) as {
  services: Record<string, Service>;
};
const kafkaVersion = /<kafka\.version>([^<]+)<\/kafka\.version>/.exec(
  read('infra/kafka/pom.xml'),
)?.[1];

const composeText = read('docker-compose.yml');
const brokers = Object.entries(services).filter(([, s]) => /kafka/.test(s.image ?? ''));
const brokerNames = brokers.map(([name]) => name);
const env = (name: string) => services[name]?.environment ?? {};
const toEnvVar = (property: string) => `KAFKA_${property.toUpperCase().replace(/\./g, '_')}`;

const APPS = ['command-service', 'query-service', 'projector'];
const APP_ROLE_OF = {
  'command-service': APP_ROLES.commandService,
  'query-service': APP_ROLES.queryService,
  projector: APP_ROLES.projector,
};
const KAFKA_APPS = ['command-service', 'projector'];

describe('docker-compose.yml', () => {
  describe('given the Kafka version pinned in infra/kafka/pom.xml', () => {
    it('then exactly three brokers run the official apache/kafka image of that version', () => {
      expect(kafkaVersion).toMatch(/^\d+\.\d+\.\d+$/);
      expect([...brokerNames].sort()).toEqual(['kafka-1', 'kafka-2', 'kafka-3']);
      for (const [, broker] of brokers) expect(broker.image).toBe(`apache/kafka:${kafkaVersion}`);
    });
  });

  describe('given a static KRaft quorum of combined nodes', () => {
    it('then every node is broker+controller with a distinct id and votes for all three', () => {
      const nodeIds = brokerNames.map((name) => String(env(name).KAFKA_NODE_ID));
      expect(new Set(nodeIds).size).toBe(3);
      // As the local launcher does (rackOf): one rack per node, so replicas spread across racks.
      const racks = brokerNames.map((name) => String(env(name).KAFKA_BROKER_RACK));
      expect(racks.sort()).toEqual(['rack-1', 'rack-2', 'rack-3']);

      for (const name of brokerNames) {
        expect(String(env(name).KAFKA_PROCESS_ROLES).split(',').sort()).toEqual([
          'broker',
          'controller',
        ]);
        const voters = String(env(name).KAFKA_CONTROLLER_QUORUM_VOTERS)
          .split(',')
          .map((voter) => /^(\d+)@([^:]+):\d+$/.exec(voter)?.slice(1, 3));
        const expected = brokerNames.map((broker) => [String(env(broker).KAFKA_NODE_ID), broker]);
        expect(voters).toEqual(expect.arrayContaining(expected));
        expect(voters).toHaveLength(3);
      }
    });
  });

  describe('given the durability settings of the local launcher', () => {
    it.each(Object.entries(KAFKA_DURABILITY_SETTINGS))(
      'then every broker sets %s=%s',
      (property, value) => {
        expect(brokerNames).toHaveLength(3);
        for (const name of brokerNames) {
          expect({ name, value: String(env(name)[toEnvVar(property)]) }).toEqual({ name, value });
        }
      },
    );
  });

  describe('given the three apps', () => {
    it.each(APPS)(
      'then %s builds from the shared runtime stage and runs its own entry point',
      (app) => {
        expect(services[app]?.build).toEqual({ context: '.', target: 'runtime' });
        expect(services[app]?.command).toEqual(['node', `dist/apps/${app}/src/main.js`]);
        expect(services[app]?.depends_on?.provision?.condition).toBe(
          'service_completed_successfully',
        );
      },
    );

    it('then the runtime stage they target exists in the Dockerfile', () => {
      expect(read('Dockerfile')).toMatch(/^FROM \S+ AS runtime$/m);
    });

    it.each(KAFKA_APPS)(
      'then %s uses strict durability against all three healthy brokers',
      (app) => {
        expect(env(app).KAFKA_DURABILITY).toBe('strict');
        expect(String(env(app).KAFKA_BROKERS).split(',').sort()).toEqual(
          brokerNames.map((name) => `${name}:9092`).sort(),
        );
        for (const name of brokerNames) {
          expect(services[app]?.depends_on?.[name]?.condition).toBe('service_healthy');
        }
      },
    );
  });

  describe('given the databases', () => {
    it('then provision-kafka creates topics and ACLs as the super user once the brokers are healthy', () => {
      expect(services['provision-kafka']?.command).toEqual([
        'node',
        'dist/tools/kafka/provision.js',
      ]);
      expect(env('provision-kafka').KAFKA_ADMIN_USERNAME).toBe('admin');
      for (const name of brokerNames) {
        expect(services['provision-kafka']?.depends_on?.[name]?.condition).toBe('service_healthy');
      }
      for (const app of KAFKA_APPS) {
        expect(services[app]?.depends_on?.['provision-kafka']?.condition).toBe(
          'service_completed_successfully',
        );
      }
    });

    it('then provision migrates as the migration role, with a password of its own', () => {
      expect(String(env('provision').ORDER_MIGRATOR_DB_PASSWORD)).toMatch(
        /^\$\{ORDER_MIGRATOR_DB_PASSWORD:\?/,
      );
    });

    it('then postgres runs and provision migrates it once it is healthy', () => {
      expect(services.postgres?.image).toMatch(/^postgres:\d+$/);
      expect(services.provision?.command).toEqual(['node', 'dist/tools/db/provision.js']);
      expect(services.provision?.depends_on?.postgres?.condition).toBe('service_healthy');
    });

    it.each(Object.entries(APP_ROLE_OF))(
      'then %s connects as its own role with the password provision sets for that role only',
      (app, { role, database }) => {
        // Left uninterpolated by the yaml parser: `${VAR:?…}` stays as written.
        const url = /^postgres:\/\/([^:@]+):\$\{(\w+):\?[^}]*\}@postgres:5432\/(\w+)$/.exec(
          String(env(app).DATABASE_URL),
        );
        const variable = `${role.toUpperCase()}_DB_PASSWORD`;
        expect(url?.slice(1)).toEqual([role, variable, SUITE_DATABASES[database].name]);
        expect(String(env('provision')[variable])).toMatch(new RegExp(`^\\$\\{${variable}:\\?`));
      },
    );
  });

  describe('given no secret may have a default', () => {
    it('then every secret is a required variable (${VAR:?message}): compose refuses to start without it', () => {
      const substitutions = [...composeText.matchAll(/\$\{(\w+)(:?[-?])?([^}]*)\}/g)];
      expect(substitutions.length).toBeGreaterThan(10);
      for (const [whole, , operator, message] of substitutions) {
        expect({ whole, operator }).toEqual({ whole, operator: ':?' });
        expect(message.trim()).not.toBe('');
      }
      expect(composeText).not.toMatch(/change-me|postgres:postgres@|POSTGRES_PASSWORD: postgres/);
    });

    it('then the apps log in to Kafka as their own principal with a required password', () => {
      for (const app of KAFKA_APPS) {
        expect(env(app).KAFKA_SASL_USERNAME).toBe(app);
        expect(String(env(app).KAFKA_SASL_PASSWORD)).toMatch(/^\$\{KAFKA_\w+_PASSWORD:\?/);
      }
      expect(String(env('projector').ADMIN_TOKEN)).toMatch(/^\$\{ADMIN_TOKEN:\?/);
    });
  });

  describe('given SASL on the brokers as in the local launcher', () => {
    it('then every listener is SASL: SCRAM-SHA-512 for clients and brokers, PLAIN for controllers', () => {
      for (const name of brokerNames) {
        const broker = env(name);
        expect(broker.KAFKA_LISTENER_SECURITY_PROTOCOL_MAP).toBe(
          'CLIENT:SASL_PLAINTEXT,CONTROLLER:SASL_PLAINTEXT',
        );
        expect(broker.KAFKA_INTER_BROKER_LISTENER_NAME).toBe('CLIENT');
        expect(broker.KAFKA_SASL_MECHANISM_INTER_BROKER_PROTOCOL).toBe('SCRAM-SHA-512');
        expect(broker.KAFKA_LISTENER_NAME_CLIENT_SASL_ENABLED_MECHANISMS).toBe('SCRAM-SHA-512');
        expect(broker.KAFKA_SASL_MECHANISM_CONTROLLER_PROTOCOL).toBe('PLAIN');
        expect(broker.KAFKA_LISTENER_NAME_CONTROLLER_SASL_ENABLED_MECHANISMS).toBe('PLAIN');
        expect(String(broker.KAFKA_LISTENERS)).not.toMatch(/PLAINTEXT:\/\//);
        expect(services[name]?.command).toEqual(['bash', '/opt/order-ledger/compose-broker.sh']);
      }
    });

    it.each(Object.entries(KAFKA_AUTHORIZATION_SETTINGS))(
      'then every broker sets %s=%s',
      (property, value) => {
        for (const name of brokerNames) {
          expect({ name, value: String(env(name)[toEnvVar(property)]) }).toEqual({ name, value });
        }
      },
    );

    it('then the broker entry point formats the storage with a SCRAM user per principal', () => {
      const script = read('infra/kafka/compose-broker.sh');
      for (const user of ['admin', 'command-service', 'projector']) {
        expect(script).toContain(`--add-scram "SCRAM-SHA-512=[name=${user},password=`);
      }
    });
  });

  describe('given the ports', () => {
    it('then nothing is published beyond 127.0.0.1, and Kafka not at all', () => {
      for (const [name, service] of Object.entries(services)) {
        for (const port of service.ports ?? []) {
          expect({ name, port }).toEqual({ name, port: expect.stringMatching(/^127\.0\.0\.1:/) });
        }
      }
      for (const name of brokerNames) expect(services[name]?.ports ?? []).toEqual([]);
      expect(services.postgres?.ports).toEqual(['127.0.0.1:5432:5432']);
    });
  });
});
