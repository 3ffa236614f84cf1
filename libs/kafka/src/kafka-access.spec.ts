import { accessRefusal } from './kafka-access';
import { KafkaAccessError } from './kafka.errors';

const login = { username: 'command-service', password: 'pa55word-never-printed' };

describe('accessRefusal: Kafka saying no is an answer, not an outage', () => {
  it('names the principal and the variables to check when authentication fails', () => {
    const error = Object.assign(
      new Error('SASL SCRAM SHA512 authentication failed: invalid credentials'),
      {
        name: 'KafkaJSSASLAuthenticationError',
      },
    );
    const refusal = accessRefusal(error, login);
    expect(refusal).toBeInstanceOf(KafkaAccessError);
    expect(refusal?.problems).toEqual([
      'Kafka refused to authenticate principal User:command-service (check KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD): SASL SCRAM SHA512 authentication failed: invalid credentials',
    ]);
    expect(refusal?.message).not.toContain(login.password);
  });

  it('finds an ACL denial nested in kafkajs wrappers (a topic creation aggregate)', () => {
    const denial = Object.assign(new Error('Topic authorization failed'), {
      type: 'TOPIC_AUTHORIZATION_FAILED',
    });
    const aggregate = Object.assign(new Error('Topic creation errors'), { errors: [denial] });
    expect(accessRefusal(aggregate, login)?.problems[0]).toMatch(
      /^Kafka denied principal User:command-service: Topic authorization failed \(TOPIC_AUTHORIZATION_FAILED\)/,
    );
  });

  it('leaves outages alone: they are retried until the boot deadline', () => {
    const closed = Object.assign(new Error('Closed connection'), {
      name: 'KafkaJSConnectionClosedError',
      retriable: true,
    });
    expect(accessRefusal(closed, login)).toBeUndefined();
    expect(accessRefusal(new Error('connect ECONNREFUSED 127.0.0.1:1'), login)).toBeUndefined();
  });
});
