import { type AdminEvent, type Api, ApiError, createApi, type FailedClaim } from './api.ts';
import { type Chart, type ChartPoint, createChart } from './chart.ts';
import { formatCount, type LiveFrame, renderFrame, stateLabels } from './figures.ts';
import { queueOf, renderQueuePanel } from './queue-panel.ts';
import { readEventStream } from './sse.ts';
import './style.css';

// sessionStorage: the token lives as long as this tab, and is never put in a URL.
const tokenKey = 'firstcome.adminToken';
const listRefreshMs = 5000;
const reconnectMs = 2000;

const byId = <T extends HTMLElement = HTMLElement>(id: string) => {
  const element = document.getElementById(id);
  if (!element) throw new Error(`the page has no #${id}`);
  return element as T;
};

const ui = {
  signOut: byId<HTMLButtonElement>('sign-out'),
  signInScreen: byId('sign-in-screen'),
  signInForm: byId<HTMLFormElement>('sign-in-form'),
  signInError: byId('sign-in-error'),
  dashboard: byId('dashboard-screen'),
  eventList: byId<HTMLUListElement>('event-list'),
  eventListEmpty: byId('event-list-empty'),
  createForm: byId<HTMLFormElement>('create-form'),
  createError: byId('create-error'),
  noSelection: byId('no-selection'),
  eventView: byId('event-view'),
  eventName: byId('event-name'),
  eventId: byId('event-id'),
  eventWindow: byId('event-window'),
  eventState: byId('event-state'),
  closeEvent: byId<HTMLButtonElement>('close-event'),
  trouble: byId('trouble'),
  countdown: byId('countdown'),
  chart: byId('chart'),
  retryFailed: byId<HTMLButtonElement>('retry-failed'),
  failedNote: byId('failed-note'),
  failedTable: byId('failed-table'),
  failedRows: byId('failed-rows'),
  queuePanel: byId('queue-panel'),
};

let api: Api | undefined;
let events: AdminEvent[] = [];
let selected: string | undefined;
let watching:
  | {
      eventId: string;
      abort: AbortController;
      chart: Chart;
      startsAtMs?: number | undefined;
      /** Failed claims (retrying + dead) the panel last showed. */
      failedShown?: number;
      /** The live frames carry the queue: the event list's slower copy no longer shows. */
      hasLiveQueue?: boolean;
    }
  | undefined;
let listTimer: number | undefined;

/** A datetime-local field (the browser's local time) as ISO-8601; undefined when empty. */
const isoOf = (value: string) => (value ? new Date(value).toISOString() : undefined);

/** "2d 03:04:05" or "03:04:05" until `atMs`. */
function formatCountdown(msLeft: number): string {
  const seconds = Math.ceil(msLeft / 1000);
  const days = Math.floor(seconds / 86_400);
  const clock = [Math.floor(seconds / 3600) % 24, Math.floor(seconds / 60) % 60, seconds % 60]
    .map((n) => String(n).padStart(2, '0'))
    .join(':');
  return days > 0 ? `${days}d ${clock}` : clock;
}

/** The countdown to the start of the watched event, ticking every second while it is upcoming. */
function tickCountdown(): void {
  const startsAtMs = watching?.startsAtMs;
  const msLeft = startsAtMs === undefined ? 0 : startsAtMs - Date.now();
  ui.countdown.hidden = msLeft <= 0;
  if (msLeft > 0) ui.countdown.textContent = `Starts in ${formatCountdown(msLeft)}`;
}

/** A text field of a form ('' when missing). */
const field = (form: FormData, name: string) => {
  const value = form.get(name);
  return typeof value === 'string' ? value.trim() : '';
};

const describe = (error: unknown) => (error instanceof Error ? error.message : String(error));

function signOut(message = ''): void {
  sessionStorage.removeItem(tokenKey);
  api = undefined;
  stopWatching();
  window.clearInterval(listTimer);
  ui.dashboard.hidden = true;
  ui.signOut.hidden = true;
  ui.signInScreen.hidden = false;
  ui.signInError.textContent = message;
}

/** Any 401 means the token is wrong or was changed on the server: back to the sign-in form. */
function handleApiError(error: unknown, shown: HTMLElement): void {
  if (error instanceof ApiError && (error.status === 401 || error.status === 403)) {
    signOut(error.message);
    return;
  }
  shown.textContent = describe(error);
}

async function signIn(token: string): Promise<void> {
  const candidate = createApi(token);
  events = await candidate.listEvents();
  api = candidate;
  sessionStorage.setItem(tokenKey, token);
  ui.signInScreen.hidden = true;
  ui.dashboard.hidden = false;
  ui.signOut.hidden = false;
  renderList();
  listTimer = window.setInterval(() => void refreshList(), listRefreshMs);
  const fromHash = new URLSearchParams(location.hash.slice(1)).get('event');
  select(fromHash && events.some((e) => e.id === fromHash) ? fromHash : events[0]?.id);
}

async function refreshList(): Promise<void> {
  if (!api) return;
  try {
    events = await api.listEvents();
    renderList();
    const listed = watching && events.find((e) => e.id === watching?.eventId);
    if (listed && !watching?.hasLiveQueue) renderQueuePanel(ui.queuePanel, queueOf(listed));
  } catch (error) {
    handleApiError(error, ui.createError);
  }
}

function renderList(): void {
  ui.eventListEmpty.hidden = events.length > 0;
  ui.eventList.replaceChildren(
    ...events.map((event) => {
      const item = document.createElement('li');
      const button = document.createElement('button');
      button.className = `event-item${event.id === selected ? ' selected' : ''}`;
      button.dataset.eventId = event.id;
      const name = document.createElement('span');
      name.className = 'event-item-name';
      name.textContent = event.name;
      const meta = document.createElement('span');
      meta.className = 'event-item-meta';
      meta.textContent = `${formatCount(event.remaining)} / ${formatCount(event.stock)} left`;
      const badge = document.createElement('span');
      badge.className = `badge ${event.state}`;
      badge.textContent = stateLabels[event.state];
      button.append(name, badge, meta);
      button.addEventListener('click', () => select(event.id));
      item.append(button);
      return item;
    }),
  );
}

function stopWatching(): void {
  watching?.abort.abort();
  watching?.chart.destroy();
  watching = undefined;
}

function select(eventId: string | undefined): void {
  selected = eventId;
  renderList();
  ui.noSelection.hidden = eventId !== undefined;
  ui.eventView.hidden = eventId === undefined;
  if (watching?.eventId === eventId) return;
  stopWatching();
  if (eventId === undefined) return;
  history.replaceState(null, '', `#event=${encodeURIComponent(eventId)}`);
  const known = events.find((e) => e.id === eventId);
  ui.eventName.textContent = known?.name ?? eventId;
  ui.eventId.textContent = eventId;
  ui.eventView.querySelectorAll<HTMLElement>('[data-figure]').forEach((element) => (element.textContent = '—'));
  const chart = createChart(ui.chart);
  if (known) chart.setStock(known.stock);
  watching = { eventId, abort: new AbortController(), chart, startsAtMs: startOf(known?.startsAt) };
  tickCountdown();
  renderQueuePanel(ui.queuePanel, queueOf(known));
  renderFailedClaims([]);
  void refreshFailedClaims();
  void watch(watching);
}

const startOf = (startsAt: string | null | undefined) => (startsAt ? Date.parse(startsAt) : undefined);

function renderFailedClaims(claims: FailedClaim[]): void {
  ui.failedTable.hidden = claims.length === 0;
  const waiting = claims.filter((c) => c.state === 'retrying').length;
  ui.failedNote.textContent =
    claims.length === 0
      ? 'None.'
      : `${waiting} waiting for the retry job, ${claims.length - waiting} dead (their tickets went back to the drop).`;
  ui.retryFailed.disabled = !claims.some((c) => c.state === 'retrying');
  ui.failedRows.replaceChildren(
    ...claims.map((claim) => {
      const row = document.createElement('tr');
      row.dataset.claimId = claim.claimId;
      row.dataset.state = claim.state;
      const cells = [
        claim.claimId,
        claim.userId,
        claim.state,
        String(claim.attempts),
        claim.state === 'retrying' ? new Date(claim.nextAttemptAt).toLocaleTimeString() : '—',
        claim.error,
      ];
      row.append(
        ...cells.map((text) => {
          const cell = document.createElement('td');
          cell.textContent = text;
          return cell;
        }),
      );
      return row;
    }),
  );
}

async function refreshFailedClaims(): Promise<void> {
  const target = watching;
  if (!api || !target) return;
  try {
    const { claims } = await api.listFailedClaims(target.eventId);
    if (watching !== target) return;
    target.failedShown = claims.length;
    renderFailedClaims(claims);
  } catch (error) {
    handleApiError(error, ui.failedNote);
  }
}

function showFrame(frame: LiveFrame, chart: Chart): void {
  renderFrame(ui.eventView, frame);
  ui.eventName.textContent = frame.event.name;
  const state = frame.event.state;
  ui.eventState.className = `badge ${state ?? ''}`;
  ui.eventState.textContent = state ? stateLabels[state] : 'unknown';
  ui.eventState.dataset.state = state ?? '';
  ui.closeEvent.disabled = state === 'ended';
  const span = [
    frame.event.startsAt && `from ${new Date(frame.event.startsAt).toLocaleString()}`,
    frame.event.endsAt && `until ${new Date(frame.event.endsAt).toLocaleString()}`,
  ];
  ui.eventWindow.textContent = `${span.filter(Boolean).join(' ') || 'no time window'} · ${frame.event.perUserLimit} per user`;
  ui.trouble.hidden = frame.trouble.length === 0;
  ui.trouble.textContent = frame.trouble.join(' · ');
  chart.setStock(frame.event.stock);
  chart.add([{ atMs: frame.atMs, admitted: frame.admitted, issued: frame.issued }]);
  updateListEntry(frame);
  if (watching) {
    const live = queueOf(frame);
    if (live !== undefined) {
      watching.hasLiveQueue = true;
      renderQueuePanel(ui.queuePanel, live);
    }
    watching.startsAtMs = startOf(frame.event.startsAt);
    tickCountdown();
    const failed = frame.failures ? frame.failures.retrying + frame.failures.dead : undefined;
    if (failed !== undefined && failed !== watching.failedShown) void refreshFailedClaims();
  }
}

/** The server's last hour of the event's figures, so that a reload does not start from an empty chart. */
async function showHistory(target: NonNullable<typeof watching>): Promise<void> {
  if (!api) return;
  try {
    const { points, last } = await api.readHistory(target.eventId);
    if (watching !== target) return;
    target.chart.add(points);
    if (last) showFrame(last, target.chart);
  } catch (error) {
    // The live stream still comes; without the history the chart starts now.
    ui.trouble.hidden = false;
    ui.trouble.textContent = `No history of the last hour (${describe(error)})`;
  }
}

/** The list refreshes every few seconds; the watched event's entry keeps up with its live figures. */
function updateListEntry(frame: LiveFrame): void {
  const listed = events.find((e) => e.id === frame.event.id);
  if (!listed || frame.remaining === null || frame.event.state === null) return;
  if (listed.remaining === frame.remaining && listed.state === frame.event.state) return;
  listed.remaining = frame.remaining;
  listed.state = frame.event.state;
  renderList();
}

/** Keeps one stream open for the selected event, reconnecting after a dropped connection. */
async function watch(target: NonNullable<typeof watching>): Promise<void> {
  const { eventId, abort, chart } = target;
  await showHistory(target);
  while (!abort.signal.aborted && api) {
    try {
      await readEventStream(
        `/admin/stream/events/${encodeURIComponent(eventId)}`,
        api.token,
        (message) => {
          if (message.event === 'history') chart.add(JSON.parse(message.data) as ChartPoint[]);
          else if (message.event === 'figures') showFrame(JSON.parse(message.data) as LiveFrame, chart);
          else if (message.event === 'trouble') {
            ui.trouble.hidden = false;
            ui.trouble.textContent = (JSON.parse(message.data) as { message: string }).message;
          }
        },
        abort.signal,
      );
    } catch (error) {
      if (abort.signal.aborted) return;
      if (error instanceof ApiError && error.status !== 503) {
        handleApiError(error, ui.trouble);
        ui.trouble.hidden = false;
        if (error.status === 401 || error.status === 403 || error.status === 404) return;
      } else {
        ui.trouble.hidden = false;
        ui.trouble.textContent = `Live figures interrupted (${describe(error)}); reconnecting…`;
      }
    }
    await new Promise((resolve) => setTimeout(resolve, reconnectMs));
  }
}

ui.signInForm.addEventListener('submit', (submit) => {
  submit.preventDefault();
  ui.signInError.textContent = '';
  signIn(field(new FormData(ui.signInForm), 'token')).catch((error: unknown) => {
    ui.signInError.textContent =
      error instanceof ApiError && error.status === 401 ? 'That token is not the admin token.' : describe(error);
  });
});

ui.signOut.addEventListener('click', () => signOut());

ui.createForm.addEventListener('submit', (submit) => {
  submit.preventDefault();
  if (!api) return;
  const form = new FormData(ui.createForm);
  const id = field(form, 'id');
  const perUserLimit = Number(field(form, 'perUserLimit') || 1);
  ui.createError.textContent = '';
  api
    .createEvent({
      name: field(form, 'name'),
      stock: Number(field(form, 'stock')),
      perUserLimit,
      ...(id ? { id } : {}),
      startsAt: isoOf(field(form, 'startsAt')),
      endsAt: isoOf(field(form, 'endsAt')),
    })
    .then(async (created) => {
      ui.createForm.reset();
      await refreshList();
      select(created.id);
    })
    .catch((error: unknown) => handleApiError(error, ui.createError));
});

ui.retryFailed.addEventListener('click', () => {
  const target = watching;
  if (!api || !target) return;
  ui.retryFailed.disabled = true;
  api
    .retryFailedClaims(target.eventId)
    .then(async ({ due }) => {
      await refreshFailedClaims();
      ui.failedNote.textContent = `${due} waiting claims made due now: the retry job takes them at its next pass.`;
    })
    .catch((error: unknown) => handleApiError(error, ui.failedNote));
});

window.setInterval(tickCountdown, 1000);

ui.closeEvent.addEventListener('click', () => {
  if (!api || !selected) return;
  if (!window.confirm(`Close ${selected}? Every claim after this answers 409 ended.`)) return;
  api
    .closeEvent(selected)
    .then(() => refreshList())
    .catch((error: unknown) => {
      handleApiError(error, ui.trouble);
      ui.trouble.hidden = false;
    });
});

const saved = sessionStorage.getItem(tokenKey);
if (saved) signIn(saved).catch(() => signOut('Please sign in again.'));
else signOut();
