import { type Answer, createApi, type QueueView } from './api.ts';
import { expiryOf, takeShopperToken } from './identity.ts';
import { solveChallenge } from './proof-of-work.ts';
import { createServerClock } from './server-clock.ts';
import { describeWaiting, type Ending, endings, formatClock, texts } from './words.ts';
import './style.css';

/** When the server names no pace: its retryAfterMs normally says when to ask again. */
const defaultPollMs = 2000;
/** After a network error or an answer the page did not expect. */
const troubleRetryMs = 3000;
const maxClaimFollowMs = 10_000;

const byId = <T extends HTMLElement = HTMLElement>(id: string) => {
  const element = document.getElementById(id);
  if (!element) throw new Error(`the page has no #${id}`);
  return element as T;
};

const ui = {
  wait: byId('wait'),
  eventName: byId('event-name'),
  opening: byId('opening'),
  countdown: byId('countdown'),
  status: byId('status'),
  detail: byId('detail'),
  turnLeft: byId('turn-left'),
  join: byId<HTMLButtonElement>('join'),
  claim: byId<HTMLButtonElement>('claim'),
  trouble: byId('trouble'),
};

/** The page's own states: the queue's, and before joining, after claiming, and the other endings. */
type PageState = 'loading' | 'not_joined' | 'checking' | QueueView['state'] | 'claimed' | 'issued' | 'failed' | Ending;

// /wait/<eventId>
const eventId = decodeURIComponent(location.pathname.split('/')[2] ?? '');
const clock = createServerClock();
const api = createApi({ eventId, shopperToken: takeShopperToken(), clock });
/** One per page: a double click, or a retry after a lost answer, is the same claim. */
const idempotencyKey = Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) =>
  b.toString(16).padStart(2, '0'),
).join('');

let state: PageState = 'loading';
let startsAtMs: number | undefined;
let prequeueAtMs: number | undefined;
let turn: { token: string; endsAtMs: number | undefined } | undefined;
let pollTimer: number | undefined;
let isBusy = false;

const isFinal = () => state in endings || state === 'claimed' || state === 'issued' || state === 'failed';

function show(next: PageState, status: string, detail = ''): void {
  state = next;
  ui.wait.dataset.state = next;
  // Only a new text is read out: the same place polled again stays quiet.
  if (ui.status.textContent !== status) ui.status.textContent = status;
  ui.detail.textContent = detail;
  ui.join.hidden = next !== 'not_joined';
  ui.claim.hidden = next !== 'your_turn';
  if (next !== 'your_turn') turn = undefined;
  if (isFinal()) window.clearTimeout(pollTimer);
  tick();
}

function showTrouble(text: string | undefined): void {
  ui.trouble.hidden = text === undefined;
  ui.trouble.textContent = text ?? '';
}

function pollIn(ms: number): void {
  window.clearTimeout(pollTimer);
  if (!isFinal()) pollTimer = window.setTimeout(() => void refresh(), ms);
}

function showNotJoined(): void {
  const now = clock.now();
  const detail =
    prequeueAtMs !== undefined && now < prequeueAtMs
      ? `Joining opens at ${new Date(prequeueAtMs).toLocaleTimeString()}.`
      : startsAtMs !== undefined && now < startsAtMs
        ? texts.prequeueDetail
        : texts.afterOpening;
  show('not_joined', texts.notJoined, detail);
}

function showPlace(view: QueueView): void {
  showTrouble(undefined);
  switch (view.state) {
    case 'prequeue':
      show('prequeue', texts.prequeue, texts.prequeueDetail);
      break;
    case 'waiting': {
      const { status, detail } = describeWaiting(view);
      show('waiting', status, detail);
      break;
    }
    case 'your_turn':
      if (view.token === undefined) {
        show('waiting', texts.yourTurn, 'Getting your admission…');
        break;
      }
      show('your_turn', texts.yourTurn, texts.yourTurnDetail);
      turn = { token: view.token, endsAtMs: expiryOf(view.token) };
      tick();
      break;
    case 'expired':
    case 'sold_out':
    case 'ended':
      show(view.state, endings[view.state]);
      return;
  }
  pollIn(view.retryAfterMs ?? defaultPollMs);
}

/** A refusal of any request, in the contract's error codes. */
function showRefusal(answer: Extract<Answer<unknown>, { ok: false }>): void {
  switch (answer.error) {
    case 'not_in_queue':
      showTrouble(undefined);
      return showNotJoined();
    case 'not_started':
      showNotJoined();
      return showTrouble(texts.notStarted);
    case 'unauthenticated':
      return show('signed_out', endings.signed_out);
    case 'forbidden':
      // A join refused (a proof of work that failed): the shopper may try again.
      showNotJoined();
      return showTrouble(answer.message);
    case 'event_not_found':
      return show('not_found', endings.not_found);
    case 'sold_out':
    case 'ended':
    case 'limit_reached':
    case 'no_queue':
      showTrouble(undefined);
      return show(answer.error, endings[answer.error]);
  }
  // rate_limited, unavailable and the unexpected: say so, and ask again when the server says.
  showTrouble(answer.message);
  pollIn(answer.retryAfterMs ?? troubleRetryMs);
}

async function refresh(): Promise<void> {
  if (isFinal() || isBusy) return;
  try {
    const answer = await api.readPlace();
    if (isFinal() || isBusy) return;
    if (answer.ok) showPlace(answer.body);
    else showRefusal(answer);
  } catch {
    showTrouble(texts.offline);
    pollIn(troubleRetryMs);
  }
}

async function joinQueue(): Promise<void> {
  isBusy = true;
  ui.join.disabled = true;
  try {
    let answer = await api.join();
    // A join refused as forbidden may need a proof of work (ALTCHA, when the operator turned it on): the
    // challenge route says, with a challenge to solve, or 404 when there is none and the refusal stands.
    if (!answer.ok && answer.status === 403) {
      const refusal = answer;
      show('checking', texts.checking);
      const challenge = await api.readChallenge();
      answer = challenge.ok ? await api.join(await solveChallenge(challenge.body)) : refusal;
    }
    isBusy = false;
    if (answer.ok) showPlace(answer.body);
    else showRefusal(answer);
  } catch {
    isBusy = false;
    showNotJoined();
    showTrouble(texts.offline);
  } finally {
    tick();
  }
}

async function claimCoupon(): Promise<void> {
  if (!turn) return;
  isBusy = true;
  ui.claim.disabled = true;
  try {
    const answer = await api.claim(turn.token, idempotencyKey);
    isBusy = false;
    if (answer.ok) {
      showTrouble(undefined);
      show('claimed', texts.claimed, `Claim ${answer.body.claimId}`);
      void followClaim(answer.body.claimId, 1000);
    } else if (answer.status === 401 || answer.status === 403) {
      // The admission is no longer good (its turn ran out): the queue says what happened.
      await refresh();
    } else {
      showRefusal(answer);
    }
  } catch {
    isBusy = false;
    // The claim may have arrived: pressing again sends the same Idempotency-Key, so it stays one claim.
    showTrouble(texts.offline);
    pollIn(troubleRetryMs);
  } finally {
    ui.claim.disabled = false;
  }
}

/** After a claim, until its coupon is issued: the pipeline takes a moment to write it. */
async function followClaim(claimId: string, delayMs: number): Promise<void> {
  try {
    const answer = await api.readClaims();
    const claim = answer.ok ? answer.body.claims.find((c) => c.claimId === claimId) : undefined;
    if (claim?.status === 'issued') return show('issued', `Your coupon: ${claim.couponId ?? claim.claimId}`);
    if (claim?.status === 'failed') return show('failed', texts.failed, `Claim ${claimId}`);
  } catch {
    // Still claimed; the next look may get through.
  }
  window.setTimeout(() => void followClaim(claimId, Math.min(delayMs * 2, maxClaimFollowMs)), delayMs);
}

/** The countdowns, every second, on the server's clock. */
function tick(): void {
  const now = clock.now();
  const toOpening = startsAtMs === undefined ? 0 : startsAtMs - now;
  const isWaitingForOpening = toOpening > 0 && !isFinal();
  ui.countdown.hidden = !isWaitingForOpening;
  if (isWaitingForOpening) ui.countdown.textContent = `The sale opens in ${formatClock(toOpening)}`;
  ui.join.disabled = isBusy || (prequeueAtMs !== undefined && now < prequeueAtMs);

  const turnLeftMs = turn?.endsAtMs === undefined ? undefined : turn.endsAtMs - now;
  ui.turnLeft.hidden = turnLeftMs === undefined || turnLeftMs <= 0;
  if (turnLeftMs !== undefined && turnLeftMs > 0) ui.turnLeft.textContent = `Claim within ${formatClock(turnLeftMs)}`;
  // The turn ran out on this clock: ask the server rather than wait for the next poll.
  if (turnLeftMs !== undefined && turnLeftMs <= 0 && state === 'your_turn' && !isBusy) {
    turn = undefined;
    void refresh();
  }
}

async function start(): Promise<void> {
  if (!eventId) return show('not_found', endings.not_found);
  try {
    const event = await api.readEvent();
    if (!event.ok) {
      if (event.status === 404) return show('not_found', endings.not_found);
      showTrouble(event.message);
      window.setTimeout(() => void start(), event.retryAfterMs ?? troubleRetryMs);
      return;
    }
    ui.eventName.textContent = event.body.name;
    document.title = `${event.body.name}: waiting line`;
    startsAtMs = event.body.startsAt ? Date.parse(event.body.startsAt) : undefined;
    prequeueAtMs = event.body.queue?.prequeueAt ? Date.parse(event.body.queue.prequeueAt) : undefined;
    ui.opening.textContent = startsAtMs === undefined ? '' : `The sale opens ${new Date(startsAtMs).toLocaleString()}.`;
    showTrouble(undefined);
    await refresh();
  } catch {
    showTrouble(texts.offline);
    window.setTimeout(() => void start(), troubleRetryMs);
  }
}

ui.join.addEventListener('click', () => void joinQueue());
ui.claim.addEventListener('click', () => void claimCoupon());
window.setInterval(tick, 1000);
void start();
