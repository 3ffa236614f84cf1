import { IsIn, IsInt, IsString, Max, Min, MinLength } from 'class-validator';
import { InvalidEnvironmentError, validateEnv } from './validate-env';

class ExampleEnv {
  @IsInt()
  @Min(1)
  @Max(65535)
  PORT: number = 3000;

  @IsString()
  DATABASE_URL!: string;

  @IsIn(['strict', 'relaxed'])
  KAFKA_DURABILITY: 'strict' | 'relaxed' = 'strict';

  @IsString()
  @MinLength(16)
  ADMIN_TOKEN: string = 'a-default-token-of-length';
}

describe('validateEnv', () => {
  it('converts values and applies defaults', () => {
    const config = validateEnv(ExampleEnv, { PORT: '8080', DATABASE_URL: 'postgres://x' });
    expect(config).toEqual({
      PORT: 8080,
      DATABASE_URL: 'postgres://x',
      KAFKA_DURABILITY: 'strict',
      ADMIN_TOKEN: 'a-default-token-of-length',
    });
  });

  it('treats empty variables as unset', () => {
    const config = validateEnv(ExampleEnv, { PORT: '', DATABASE_URL: 'postgres://x' });
    expect(config.PORT).toBe(3000);
  });

  it('reports one line per problem, naming the variable and the value', () => {
    let caught: unknown;
    try {
      validateEnv(ExampleEnv, { PORT: '70000', KAFKA_DURABILITY: 'loose' });
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(InvalidEnvironmentError);
    const { problems } = caught as InvalidEnvironmentError;
    expect(problems).toHaveLength(3);
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^PORT: .*65535.*\(got "70000"\)$/),
        expect.stringMatching(/^DATABASE_URL: .*\(not set\)$/),
        expect.stringMatching(/^KAFKA_DURABILITY: .*\(got "loose"\)$/),
      ]),
    );
  });

  it('never echoes the value of a variable that may hold a secret', () => {
    let caught: unknown;
    try {
      validateEnv(ExampleEnv, {
        DATABASE_URL: ' postgres://app:hunter2@db/x',
        ADMIN_TOKEN: 'short-secret',
      });
    } catch (error) {
      caught = error;
    }
    const { problems } = caught as InvalidEnvironmentError;
    expect(problems.join('\n')).not.toMatch(/hunter2|short-secret/);
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^ADMIN_TOKEN: .*\(got 12 characters, not shown\)$/),
      ]),
    );
  });
});
