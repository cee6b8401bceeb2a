/** What the page says, in one place: the texts of each state and the way times are written. */

/** "2d 03:04:05" or "03:04:05" for a time left. */
export function formatClock(msLeft: number): string {
  const seconds = Math.max(0, Math.ceil(msLeft / 1000));
  const days = Math.floor(seconds / 86_400);
  const clock = [Math.floor(seconds / 3600) % 24, Math.floor(seconds / 60) % 60, seconds % 60]
    .map((n) => String(n).padStart(2, '0'))
    .join(':');
  return days > 0 ? `${days}d ${clock}` : clock;
}

/** An estimate in words: the pace it comes from moves, so it is rounded to what a person can use. */
export function formatEta(seconds: number): string {
  if (seconds < 10) return 'a few seconds';
  if (seconds < 60) return `about ${Math.round(seconds / 10) * 10} seconds`;
  if (seconds < 90 * 60) {
    const minutes = Math.round(seconds / 60);
    return minutes === 1 ? 'about a minute' : `about ${minutes} minutes`;
  }
  return `about ${Math.round(seconds / 3600)} hours`;
}

const people = (n: number) => (n === 1 ? '1 person' : `${n.toLocaleString('en')} people`);

/** The position line (read out when it changes) and the detail under it. */
export function describeWaiting(view: { position?: number; ahead?: number; etaSeconds?: number }) {
  const status =
    view.position === undefined
      ? 'You are in the line.'
      : `You are number ${view.position.toLocaleString('en')} in line.`;
  const ahead =
    view.ahead === undefined
      ? ''
      : view.ahead === 0
        ? 'Nobody is ahead of you.'
        : `${people(view.ahead)} ahead of you.`;
  const eta = view.etaSeconds === undefined ? '' : `Your turn in ${formatEta(view.etaSeconds)}.`;
  return { status, detail: [ahead, eta].filter(Boolean).join(' ') };
}

/** Answers that end the wait, with what the shopper reads. */
export const endings = {
  sold_out: 'Sold out: every coupon of this drop is taken.',
  ended: 'This drop has ended.',
  expired: 'Your turn has passed: the time to claim ran out.',
  limit_reached: 'You already hold as many coupons of this drop as one shopper may.',
  no_queue: 'This drop has no waiting line.',
  not_found: 'There is no drop at this address.',
  signed_out: "We could not tell who you are: open this page again from the shop's link.",
} as const;

export type Ending = keyof typeof endings;

export const texts = {
  notJoined: 'Join the queue to get your place.',
  prequeue: 'You are in the queue.',
  prequeueDetail:
    'When the sale opens, everyone already in the queue gets a place in a random order: arriving early gives no edge, and there is no need to reload.',
  afterOpening: 'Places go in order of arrival from now on.',
  notStarted: 'The queue is not open yet.',
  checking: 'Checking this browser before you join (a few seconds of computing)…',
  yourTurn: 'It is your turn!',
  yourTurnDetail: 'Claim your coupon now.',
  claimed: 'Claimed! Your coupon is being issued.',
  failed: 'Your claim could not be issued. Please contact the shop.',
  offline: 'Connection trouble; trying again…',
} as const;
