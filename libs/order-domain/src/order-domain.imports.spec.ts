import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';

// The domain stays pure (STYLE.md): no Nest, TypeORM, kafkajs or pg, nor any other package.
// Only its own modules may be imported; tests and test helpers are exempt.
describe('order-domain imports', () => {
  const sources = readdirSync(__dirname, { recursive: true, encoding: 'utf8' })
    .filter((file) => file.endsWith('.ts') && !file.endsWith('.spec.ts'))
    .filter((file) => !file.split(/[\\/]/).includes('testing'));

  it('finds the sources it checks', () => {
    expect(sources).toEqual(expect.arrayContaining(['index.ts', 'order.decide.ts']));
  });

  it.each(sources)('%s imports only modules of the domain', (file) => {
    const code = readFileSync(join(__dirname, file), 'utf8');
    const specifiers = [...code.matchAll(/(?:from|import|require\()\s*['"]([^'"]+)['"]/g)].map(
      (match) => match[1],
    );
    const outside = specifiers.filter(
      (specifier) =>
        !specifier.startsWith('.') ||
        relative(__dirname, join(__dirname, specifier)).startsWith('..'),
    );
    expect(outside).toEqual([]);
  });
});
