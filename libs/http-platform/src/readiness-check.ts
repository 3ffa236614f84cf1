export interface ReadinessResult {
  /** Ready, but running in a degraded or unsafe mode worth showing (e.g. relaxed durability). */
  warning?: string;
  /** What the check saw, shown as it is (for example a consumer's group and last batch). */
  details?: Record<string, unknown>;
}

/** A dependency the app cannot serve without; `check` throws when it is not usable. */
export interface ReadinessCheck {
  readonly name: string;
  check(): Promise<ReadinessResult>;
}
