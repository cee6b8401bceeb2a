import type { LiveFrame } from '@server/api/live-stream.ts';
import type { ClaimOutcome, EventState } from '@server/claim.ts';

/** What /admin/stream/events/:id sends once a second. */
export type { LiveFrame };

const integer = new Intl.NumberFormat('en');
const decimal = new Intl.NumberFormat('en', { maximumFractionDigits: 1 });

export const formatCount = (value: number | null | undefined) => (value == null ? '—' : integer.format(value));
export const formatRate = (value: number | null | undefined) =>
  value == null ? '—' : value >= 100 ? integer.format(Math.round(value)) : decimal.format(value);

const reasonLabels: Record<ClaimOutcome, string> = {
  admitted: 'admitted',
  sold_out: 'sold out',
  limit_reached: 'limit reached',
  not_started: 'not started',
  ended: 'ended',
  rate_limited: 'rate limited (429)',
  unauthenticated: 'unauthenticated (401)',
  forbidden: 'forbidden (403)',
  invalid: 'invalid (400)',
  unavailable: 'unavailable (503)',
};

export const stateLabels: Record<EventState, string> = {
  upcoming: 'upcoming',
  open: 'open',
  sold_out: 'sold out',
  ended: 'ended',
};

const when = (iso: string) => new Date(iso).toLocaleTimeString();

/** Writes a frame into the tiles, found by their data-figure attribute. */
export function renderFrame(root: HTMLElement, frame: LiveFrame): void {
  const set = (name: string, text: string) => {
    const element = root.querySelector<HTMLElement>(`[data-figure="${name}"]`);
    if (element && element.textContent !== text) element.textContent = text;
  };
  const perSec = (value: number | null) => (value == null ? '' : `${formatRate(value)}/s`);
  const pending = frame.admitted == null || frame.issued == null ? null : Math.max(0, frame.admitted - frame.issued);

  set('stock', formatCount(frame.event.stock));
  set('remaining', formatCount(frame.remaining));
  set('admitted', formatCount(frame.admitted));
  set('admittedPerSec', perSec(frame.rates.admittedPerSec));
  set('issued', formatCount(frame.issued));
  set('issuedPerSec', frame.rates.issuedPerSec == null ? '' : `${formatRate(frame.rates.issuedPerSec)} rows/s`);
  set('pending', formatCount(pending));

  const answeredPerSec = Object.entries(frame.rates.answeredPerSec) as Array<[ClaimOutcome, number]>;
  const rejected = answeredPerSec.filter(([outcome]) => outcome !== 'admitted');
  set('rejectedPerSec', formatRate(rejected.reduce((sum, [, rate]) => sum + rate, 0)));
  const reasons = root.querySelector<HTMLElement>('[data-figure="reasons"]');
  if (reasons) {
    // Only the reasons that happened: most drops see one or two of them.
    const seen = rejected.filter(([outcome, rate]) => rate > 0 || frame.answered[outcome] > 0);
    reasons.replaceChildren(
      ...seen.map(([outcome, rate]) => {
        const item = document.createElement('li');
        item.dataset.reason = outcome;
        item.textContent = `${reasonLabels[outcome]}: ${formatCount(frame.answered[outcome])} (${formatRate(rate)}/s)`;
        return item;
      }),
    );
  }

  set('outboxBacklog', formatCount(frame.outbox?.backlog));
  set('outboxPending', frame.outbox ? `${formatCount(frame.outbox.pending)} in flight to Kafka` : '');
  set('kafkaLag', frame.kafka.lag === null ? 'n/a' : formatCount(frame.kafka.lag));
  set('kafkaNote', frame.kafka.lag === null ? frame.kafka.reason : 'messages the workers have not committed');

  const failures = frame.failures;
  set('failed', formatCount(failures ? failures.retrying + failures.dead : null));
  set(
    'retryState',
    failures
      ? `${formatCount(failures.retrying)} retrying${failures.nextAttemptAt ? ` (next ${when(failures.nextAttemptAt)})` : ''} · ` +
          `${formatCount(failures.dead)} dead · ${formatCount(failures.issued)} recovered`
      : '',
  );
}
