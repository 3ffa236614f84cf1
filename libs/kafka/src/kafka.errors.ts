/** Base of this module's errors; `retriable` says whether trying again later can succeed. */
export abstract class KafkaModuleError extends Error {
  abstract readonly retriable: boolean;
}

/** A send not acknowledged by all in-sync replicas within the send timeout. */
export class KafkaSendTimeoutError extends KafkaModuleError {
  readonly retriable = true;
  constructor(
    readonly topic: string,
    readonly records: number,
    readonly timeoutMs: number,
  ) {
    super(`${records} record(s) to ${topic} not acknowledged within ${timeoutMs} ms`);
    this.name = 'KafkaSendTimeoutError';
  }
}

/** A send the cluster refused. */
export class KafkaSendError extends KafkaModuleError {
  constructor(
    message: string,
    readonly retriable: boolean,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'KafkaSendError';
  }
}

/** Configuration that would weaken a durability guarantee; raised when the module is built. */
export class UnsafeKafkaSettingsError extends KafkaModuleError {
  readonly retriable = false;
  constructor(readonly problems: string[]) {
    super(`Unsafe Kafka settings:\n${problems.map((problem) => `  - ${problem}`).join('\n')}`);
    this.name = 'UnsafeKafkaSettingsError';
  }
}

/** Topics or brokers that fall short of the durability contract (strict mode refuses to start). */
export class KafkaDurabilityError extends KafkaModuleError {
  readonly retriable = false;
  constructor(readonly problems: string[]) {
    super(
      `Kafka durability check failed (KAFKA_DURABILITY=strict):\n${problems
        .map((problem) => `  - ${problem}`)
        .join('\n')}`,
    );
    this.name = 'KafkaDurabilityError';
  }
}

/** The cluster could not be reached at boot within the connect timeout. */
export class KafkaUnavailableError extends KafkaModuleError {
  readonly retriable = true;
  /** One line, printed at boot without a stack. */
  readonly problems: string[];
  constructor(brokers: string[], timeoutMs: number, cause: unknown) {
    const line = `Kafka unreachable: no broker of ${brokers.join(',')} answered within ${timeoutMs} ms (last error: ${String((cause as Error)?.message ?? cause)})`;
    super(line, { cause });
    this.problems = [line];
    this.name = 'KafkaUnavailableError';
  }
}

/**
 * The cluster answered, and refused: wrong or unknown credentials, or an ACL the app's principal
 * lacks. Trying again cannot help, so boot stops at once with one line (never the password).
 */
export class KafkaAccessError extends KafkaModuleError {
  readonly retriable = false;
  readonly problems: string[];
  constructor(line: string, options?: { cause?: unknown }) {
    super(line, options);
    this.problems = [line];
    this.name = 'KafkaAccessError';
  }
}
