import { IsIn, IsInt, IsString, Max, Min } from 'class-validator';
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
}

describe('validateEnv', () => {
  it('converts values and applies defaults', () => {
    const config = validateEnv(ExampleEnv, { PORT: '8080', DATABASE_URL: 'postgres://x' });
    expect(config).toEqual({
      PORT: 8080,
      DATABASE_URL: 'postgres://x',
      KAFKA_DURABILITY: 'strict',
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
});
