import { execFile } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);
const root = resolve(__dirname, '..');
const PROBE = '__lint-probe__';

interface LintResult {
  filePath: string;
  messages: { ruleId: string | null; message: string }[];
}

/** Runs the repository's real ESLint config on probe files written into `sourceDir`. */
async function lint(sourceDir: string, files: Record<string, string>): Promise<LintResult[]> {
  const probeDir = join(root, sourceDir, PROBE);
  mkdirSync(probeDir, { recursive: true });
  const paths = Object.entries(files).map(([name, code]) => {
    const path = join(probeDir, name);
    writeFileSync(path, code);
    return path;
  });
  try {
    const { stdout } = await execFileAsync(
      process.execPath,
      [join(root, 'node_modules/eslint/bin/eslint.js'), '--format', 'json', ...paths],
      { cwd: root, maxBuffer: 10 * 1024 * 1024 },
    ).catch((error: { stdout: string }) => error); // exit code 1 when it finds problems
    return JSON.parse(stdout) as LintResult[];
  } finally {
    rmSync(probeDir, { recursive: true, force: true });
  }
}

function rulesHit(results: LintResult[], file: string): (string | null)[] {
  return results
    .find((result) => result.filePath.endsWith(file))!
    .messages.map((message) => message.ruleId);
}

describe('import boundaries (eslint)', () => {
  it('refuses an app importing another app, and allows importing a lib', async () => {
    const results = await lint('apps/command-service/src', {
      'imports-app.ts': `import { ProjectorModule } from '../../../projector/src/projector.module';\nexport const leaked = ProjectorModule;\n`,
      'imports-lib.ts': `import { loadConfig } from '@app/config';\nexport const allowed = loadConfig;\n`,
    });

    expect(rulesHit(results, 'imports-app.ts')).toEqual(['import-x/no-restricted-paths']);
    expect(rulesHit(results, 'imports-lib.ts')).toEqual([]);
  });

  it("keeps the projector's live projection and its replays apart, both on the view layer", async () => {
    const results = await lint('apps/projector/src/replay', {
      'imports-live.ts': `import { LiveOrderViewHandler } from '../../live/live-order-view.handler';\nexport const leaked = LiveOrderViewHandler;\n`,
      'imports-view.ts': `import { toPartitionBatch } from '../../view/consumed-batches';\nexport const allowed = toPartitionBatch;\n`,
    });

    expect(rulesHit(results, 'imports-live.ts')).toEqual(['import-x/no-restricted-paths']);
    expect(rulesHit(results, 'imports-view.ts')).toEqual([]);
  });

  it('keeps test helpers and fixtures out of production code, not out of its tests', async () => {
    const results = await lint('libs/order-view/src', {
      'imports-fixture.ts': `import { orderHistory } from '../../../../test/fixtures/order-histories';\nexport const leaked = orderHistory;\n`,
      'imports-fixture.spec.ts': `import { orderHistory } from '../../../../test/fixtures/order-histories';\nit('runs', () => expect(orderHistory).toBeDefined());\n`,
    });

    expect(rulesHit(results, 'imports-fixture.ts')).toEqual(['no-restricted-imports']);
    expect(rulesHit(results, 'imports-fixture.spec.ts')).toEqual([]);
  });

  it('has tools, benches and tests import a lib through its index, not a file inside it', async () => {
    const results = await lint('tools', {
      'imports-inside.ts': `import { withTransaction } from '../../libs/database/src/transaction';\nexport const leaked = withTransaction;\n`,
      'imports-index.ts': `import { withTransaction } from '@app/database';\nexport const allowed = withTransaction;\n`,
    });

    expect(rulesHit(results, 'imports-inside.ts')).toEqual(['no-restricted-imports']);
    expect(rulesHit(results, 'imports-index.ts')).toEqual([]);
  });

  it('keeps the order domain free of frameworks and infrastructure', async () => {
    const results = await lint('libs/order-domain/src', {
      'imports-nest.ts': `import { Injectable } from '@nestjs/common';\nexport const leaked = Injectable;\n`,
      'imports-own.ts': `import { decide } from '../order.decide';\nexport const allowed = decide;\n`,
    });

    expect(rulesHit(results, 'imports-nest.ts')).toEqual(['no-restricted-imports']);
    expect(rulesHit(results, 'imports-own.ts')).toEqual([]);
  });

  it('keeps the built-in auto-committing Kafka transport out of apps and libs, not out of bench/', async () => {
    const builtIn = {
      'transport-kafka.ts': `import { Transport } from '@nestjs/microservices';\nexport const options = { transport: Transport.KAFKA };\n`,
      'server-kafka.ts': `import { ServerKafka } from '@nestjs/microservices';\nexport const server = ServerKafka;\n`,
      'client-kafka.ts': `import { ClientKafka, KafkaContext } from '@nestjs/microservices';\nexport const client = [ClientKafka, KafkaContext];\n`,
      'reliable.ts': `import { EventPattern, Transport } from '@nestjs/microservices';\nexport const allowed = [EventPattern, Transport.TCP];\n`,
    };
    for (const dir of ['apps/projector/src', 'libs/kafka/src']) {
      const results = await lint(dir, builtIn);
      expect(rulesHit(results, 'transport-kafka.ts')).toEqual(['no-restricted-syntax']);
      expect(rulesHit(results, 'server-kafka.ts')).toEqual(['no-restricted-syntax']);
      expect(rulesHit(results, 'client-kafka.ts')).toEqual([
        'no-restricted-syntax',
        'no-restricted-syntax',
      ]);
      expect(rulesHit(results, 'reliable.ts')).toEqual([]);
    }
    const bench = await lint('bench/pipeline', builtIn);
    expect(rulesHit(bench, 'transport-kafka.ts')).toEqual([]);
    expect(rulesHit(bench, 'server-kafka.ts')).toEqual([]);
  });
});
