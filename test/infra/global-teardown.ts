type Stop = () => Promise<void>;
const state = globalThis as typeof globalThis & { __orderLedgerInfraStops?: Stop[] };

export default async function globalTeardown(): Promise<void> {
  const stops = state.__orderLedgerInfraStops;
  state.__orderLedgerInfraStops = undefined;
  if (!stops) return;
  await Promise.all(stops.map((stop) => stop()));
}
