// Import boundaries of the monorepo, kept apart from eslint.config.mjs so a unit test can prove
// they catch a violation (test/lint-boundaries.spec.ts).
import { createNodeResolver, importX } from 'eslint-plugin-import-x';

const APPS = ['command-service', 'projector', 'query-service'];

export const boundaries = {
  files: ['apps/**/*.ts', 'libs/**/*.ts'],
  plugins: { 'import-x': importX },
  settings: {
    'import-x/resolver-next': [createNodeResolver({ extensions: ['.ts', '.js'] })],
  },
  rules: {
    'import-x/no-restricted-paths': [
      'error',
      {
        zones: [
          // An app never imports another app: what they share belongs in a lib.
          ...APPS.map((app) => ({
            target: `./apps/${app}`,
            from: './apps',
            except: [`./${app}`],
            message: 'Apps must not import each other; move shared code into libs/.',
          })),
          {
            target: './libs',
            from: './apps',
            message: 'Libraries must not import apps.',
          },
          // The projector's live projection and its replays build on the same view layer and
          // consumer, never on each other.
          ...[
            ['live', 'replay'],
            ['replay', 'live'],
          ].map(([target, from]) => ({
            target: `./apps/projector/src/${target}`,
            from: `./apps/projector/src/${from}`,
            message: 'Live consumption and replays share apps/projector/src/view, not each other.',
          })),
        ],
      },
    ],
  },
};

// Production code never imports test helpers or fixtures (test/, an app's test/ folder): what
// ships is what runs, and a test's shortcut cannot become a dependency.
export const productionImportsNoTests = {
  files: ['apps/*/src/**/*.ts', 'libs/*/src/**/*.ts'],
  ignores: ['**/*.spec.ts', '**/*.int-spec.ts', '**/*.e2e-spec.ts'],
  rules: {
    'no-restricted-imports': [
      'error',
      {
        patterns: [
          {
            regex: '(^|/)test/',
            message: 'Production code must not import test helpers or fixtures.',
          },
        ],
      },
    ],
  },
};

// Tools, benches and tests use a lib as the apps do: through its index (`@app/<lib>`), the
// surface it chose to export, never a file inside it.
export const libsThroughTheirIndex = {
  files: ['tools/**/*.ts', 'bench/**/*.ts', 'test/**/*.ts', 'apps/*/test/**/*.ts'],
  rules: {
    'no-restricted-imports': [
      'error',
      {
        patterns: [
          {
            regex: '(^|/)libs/[^/]+/src',
            message: 'Import a lib through its index: @app/<lib>.',
          },
        ],
      },
    ],
  },
};

// The order domain is pure (decide/evolve over plain data): no framework, no infrastructure,
// no other lib. Tests and their fixtures may use what they like.
export const pureDomain = {
  files: ['libs/order-domain/**/*.ts'],
  ignores: ['**/*.spec.ts'],
  rules: {
    'no-restricted-imports': [
      'error',
      {
        patterns: [
          {
            regex: '^(?!\\.)',
            message: 'The order domain imports nothing but its own modules.',
          },
        ],
      },
    ],
  },
};

// Production code consumes Kafka through libs/kafka's ReliableKafkaServer or ReliableConsumer,
// never through @nestjs/microservices' own Kafka transport: it commits offsets before or
// regardless of the handler's outcome (auto-commit), one message per handler call, with no
// stored-offset seeking, DLQ or liveness. bench/ is exempt: its naive projector is that transport
// on purpose, as the baseline bench:pipeline compares against.
const BUILT_IN_KAFKA =
  'the built-in Kafka transport auto-commits; use ReliableKafkaServer (libs/kafka)';
export const noBuiltInKafkaTransport = {
  files: ['apps/**/*.ts', 'libs/**/*.ts'],
  rules: {
    'no-restricted-syntax': [
      'error',
      {
        selector: "MemberExpression[object.name='Transport'][property.name='KAFKA']",
        message: `Transport.KAFKA: ${BUILT_IN_KAFKA}.`,
      },
      {
        selector:
          'ImportDeclaration[source.value=/^@nestjs\\/microservices/] ImportSpecifier[imported.name=/^(ServerKafka|ClientKafka|ClientKafkaProxy|KafkaContext)$/]',
        message: `ServerKafka, ClientKafka and KafkaContext belong to ${BUILT_IN_KAFKA}.`,
      },
    ],
  },
};
