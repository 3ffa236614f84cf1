// The projector's admin console: the /admin API seen from a browser tab. Plain ES module, no
// build step. Everything the API returns is shown through textContent, never parsed as HTML:
// order ids and reasons come from the topic, which anyone allowed to produce can write.

const TOKEN_KEY = 'projector-admin-token';
const REFRESH_MS = 2_000;
const CHART_WINDOW_MS = 5 * 60_000;
/** The replay's rate for its ETA is taken over this much of its recent progress. */
const ETA_WINDOW_MS = 30_000;

const $ = (id) => document.getElementById(id);

/** An answer of the admin API other than 2xx, with the API's stable code. */
class ApiProblem extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

let refreshTimer;
/** {at, eventsRead, lag, generation} per refresh, the last five minutes. */
let samples = [];
/** {at, processed} of the running replay, for its ETA. */
let replaySamples = [];
/** Parked events whose envelope the operator has opened. */
const openEvents = new Set();

async function api(method, path) {
  const token = sessionStorage.getItem(TOKEN_KEY);
  let response;
  try {
    response = await fetch(`/admin/${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, accept: 'application/json' },
      cache: 'no-store',
    });
  } catch {
    throw new ApiProblem(0, 'UNREACHABLE', 'The projector does not answer.');
  }
  const body = await response.json().catch(() => ({}));
  if (!response.ok) {
    throw new ApiProblem(
      response.status,
      body.error ?? `HTTP_${response.status}`,
      body.message ?? response.statusText,
    );
  }
  return body;
}

function showError(error) {
  const text =
    error instanceof ApiProblem ? `${error.message} (${error.code})` : `Unexpected: ${error}`;
  $('error').textContent = text;
  $('error').hidden = false;
}

function clearError() {
  $('error').hidden = true;
  $('error').textContent = '';
}

function notify(text) {
  $('notice').textContent = text;
  $('notice').hidden = false;
}

// Sign in and out

async function signIn(event) {
  event.preventDefault();
  const input = $('token');
  sessionStorage.setItem(TOKEN_KEY, input.value);
  input.value = '';
  await openDashboard();
}

/**
 * Shows the dashboard unless the token is refused. Any other failure (Kafka or the database
 * away) is what an operator signs in to see: the dashboard opens with the error above it.
 */
async function openDashboard() {
  const refused = await refresh();
  if (refused) return signOut(refused);
  showDashboard();
}

const isRefusal = (error) => error instanceof ApiProblem && [401, 403].includes(error.status);

function signOut(message) {
  clearTimeout(refreshTimer);
  sessionStorage.removeItem(TOKEN_KEY);
  samples = [];
  replaySamples = [];
  $('dashboard').hidden = true;
  $('sign-out').hidden = true;
  $('sign-in').hidden = false;
  $('notice').hidden = true;
  if (message) showError(message);
  $('token').focus();
}

function showDashboard() {
  $('sign-in').hidden = true;
  $('dashboard').hidden = false;
  $('sign-out').hidden = false;
  $('projection-title').focus();
  scheduleRefresh();
}

function scheduleRefresh() {
  clearTimeout(refreshTimer);
  refreshTimer = setTimeout(async () => {
    const refused = await refresh();
    if (refused) return signOut(refused);
    scheduleRefresh();
  }, REFRESH_MS);
}

// Reading and drawing the state

/**
 * Reads the status (Kafka and the database) and the parked events (the database alone) apart,
 * so that one being unavailable still shows the other. Shows what failed; returns the refusal
 * if the token was refused.
 */
async function refresh() {
  const [status, parked] = await Promise.allSettled([
    api('GET', 'projections/order-view'),
    api('GET', 'parked'),
  ]);
  if (status.status === 'fulfilled') renderStatus(status.value);
  if (parked.status === 'fulfilled') renderParked(parked.value);
  const errors = [status, parked].filter((result) => result.status === 'rejected');
  const refused = errors.find((result) => isRefusal(result.reason));
  if (refused) return refused.reason;
  if (errors.length > 0) showError(errors[0].reason);
  else clearError();
  return undefined;
}

function renderStatus(status) {
  const now = Date.now();
  const lag = status.partitions.reduce((sum, p) => sum + p.lag, 0);
  const eventsRead = status.partitions.reduce((sum, p) => sum + Number(p.nextOffset), 0);
  $('state').textContent = status.status;
  $('generation').textContent = String(status.currentGeneration);
  $('total-lag').textContent = String(lag);
  $('dead-lettered').textContent = String(status.deadLettered);
  $('updated').textContent = new Date(now).toLocaleTimeString();

  const rows = status.partitions.map((p) =>
    tableRow([p.partition, p.nextOffset, p.endOffset, p.lag, p.lagSeconds.toFixed(1)]),
  );
  $('partitions').replaceChildren(...rows);

  samples.push({ at: now, eventsRead, lag, generation: status.currentGeneration });
  samples = samples.filter((sample) => sample.at >= now - CHART_WINDOW_MS);
  drawChart();
  renderReplay(status.replay, now);
}

function renderReplay(replay, now) {
  const running = replay?.status === 'running';
  $('start-replay').disabled = running;
  $('cancel-replay').disabled = !running;
  if (!replay) return;
  const percent =
    replay.status === 'completed'
      ? 100
      : replay.total > 0
        ? Math.min(100, Math.floor((replay.processed / replay.total) * 100))
        : 0;
  $('replay-progress').value = percent;
  $('replay-progress').textContent = `${percent} %`;
  $('replay-percent').textContent = `${percent} %`;
  $('replay-summary').textContent =
    `Replay ${replay.replayId} into generation ${replay.generation}: ${replay.status}, ` +
    `${replay.processed} of ${replay.total} events.`;
  if (!running) {
    replaySamples = [];
    $('replay-eta').textContent =
      replay.finishedAt === null ? replay.status : `finished ${timeOf(replay.finishedAt)}`;
    return;
  }
  replaySamples.push({ at: now, processed: replay.processed });
  replaySamples = replaySamples.filter((sample) => sample.at >= now - ETA_WINDOW_MS);
  $('replay-eta').textContent = etaText(replay);
}

function etaText(replay) {
  const first = replaySamples[0];
  const last = replaySamples[replaySamples.length - 1];
  const rate = (last.processed - first.processed) / ((last.at - first.at) / 1000);
  if (!(rate > 0)) return 'estimating the time left…';
  const seconds = Math.ceil((replay.total - replay.processed) / rate);
  return `about ${seconds} s left at ${Math.round(rate)} events/s`;
}

/** Events/s between refreshes (not across a generation switch) and total lag, scaled apart. */
function drawChart() {
  const rates = [];
  for (let i = 1; i < samples.length; i += 1) {
    const [before, after] = [samples[i - 1], samples[i]];
    if (before.generation !== after.generation) continue;
    const rate = (after.eventsRead - before.eventsRead) / ((after.at - before.at) / 1000);
    rates.push({ at: after.at, value: Math.max(0, rate) });
  }
  const lags = samples.map((sample) => ({ at: sample.at, value: sample.lag }));
  $('rate-line').setAttribute('points', polyline(rates));
  $('lag-line').setAttribute('points', polyline(lags));
  $('rate-peak').textContent = String(Math.round(peak(rates)));
  $('lag-peak').textContent = String(peak(lags));
}

function polyline(points) {
  const end = Date.now();
  const top = peak(points) || 1;
  return points
    .map(({ at, value }) => {
      const x = 600 - ((end - at) / CHART_WINDOW_MS) * 600;
      const y = 155 - (value / top) * 150;
      return `${x.toFixed(1)},${y.toFixed(1)}`;
    })
    .join(' ');
}

function peak(points) {
  return points.reduce((max, point) => Math.max(max, point.value), 0);
}

/** Open parked events, one row per order, each with its retry and skip buttons. */
function renderParked({ items, truncated }) {
  $('parked-truncated').hidden = !truncated;
  const byOrder = new Map();
  for (const item of items.filter((event) => event.resolution === null)) {
    const events = byOrder.get(item.orderId) ?? [];
    events.push(item);
    byOrder.set(item.orderId, events);
  }
  $('parked-empty').hidden = byOrder.size > 0;
  $('parked-table').hidden = byOrder.size === 0;
  const rows = [...byOrder].map(([orderId, events]) => {
    events.sort((a, b) => a.version - b.version);
    const row = tableRow([orderId]);
    const eventsCell = document.createElement('td');
    eventsCell.append(...events.map(eventDetails));
    row.append(eventsCell);
    row.append(tableRow([[...new Set(events.map((event) => event.reason))].join('; ')]).firstChild);
    row.dataset.orderId = orderId;
    const cell = document.createElement('td');
    cell.append(
      decisionButton(orderId, 'retry', 'Retry', events[0]),
      decisionButton(orderId, 'skip', 'Skip first', events[0]),
    );
    row.append(cell);
    return row;
  });
  $('parked').replaceChildren(...rows);
}

/** One parked event: its version and type, opening onto the whole envelope as it was read. */
function eventDetails(event) {
  const key = `${event.orderId}\u0000${event.version}\u0000${event.offset}`;
  const details = document.createElement('details');
  // The table is redrawn on every refresh: an event the operator opened stays open.
  details.open = openEvents.has(key);
  details.addEventListener('toggle', () =>
    details.open ? openEvents.add(key) : openEvents.delete(key),
  );
  const summary = document.createElement('summary');
  summary.textContent = `v${event.version} ${event.eventType}`;
  const envelope = document.createElement('pre');
  envelope.textContent = JSON.stringify(event.envelope, null, 2);
  details.append(summary, envelope);
  return details;
}

function decisionButton(orderId, decision, label, first) {
  const button = document.createElement('button');
  button.type = 'button';
  button.textContent = label;
  button.setAttribute('aria-label', `${label} order ${orderId}`);
  button.addEventListener('click', () => decide(orderId, decision, first));
  return button;
}

/** `first`: the order's lowest parked event shown, the one a skip sets aside. */
async function decide(orderId, decision, first) {
  const question =
    decision === 'retry'
      ? `Retry the parked events of order ${orderId}?`
      : `Skip parked event v${first.version} ${first.eventType} of order ${orderId} for good ` +
        `(the lowest parked version, whether listed here or not), and retry the rest?`;
  if (!confirm(question)) return;
  try {
    const result = await api('POST', `parked/${encodeURIComponent(orderId)}/${decision}`);
    notify(
      `Order ${result.orderId}: ${result.applied} applied, ${result.skipped} skipped, ` +
        `${result.stillParked} still parked (now at version ${result.version}).`,
    );
    await refresh();
  } catch (error) {
    showError(error);
  }
}

async function startReplay() {
  if (!confirm('Rebuild the view from the start of the topic? Reads stay up meanwhile.')) return;
  try {
    const replay = await api('POST', 'projections/order-view/replay');
    notify(`Replay ${replay.replayId} started, building generation ${replay.generation}.`);
    await refresh();
  } catch (error) {
    showError(error);
  }
}

async function cancelReplay() {
  if (!confirm('Cancel the running replay? Its generation is deleted.')) return;
  try {
    const replay = await api('DELETE', 'projections/order-view/replay');
    notify(`Replay ${replay.replayId} ${replay.status}.`);
    await refresh();
  } catch (error) {
    showError(error);
  }
}

function tableRow(values) {
  const row = document.createElement('tr');
  for (const value of values) {
    const cell = document.createElement('td');
    cell.textContent = String(value);
    row.append(cell);
  }
  return row;
}

function timeOf(iso) {
  return new Date(iso).toLocaleTimeString();
}

$('sign-in').addEventListener('submit', signIn);
$('sign-out').addEventListener('click', () => signOut());
$('start-replay').addEventListener('click', startReplay);
$('cancel-replay').addEventListener('click', cancelReplay);
if (sessionStorage.getItem(TOKEN_KEY)) void openDashboard();
