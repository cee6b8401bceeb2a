import type { AdminEvent } from './api.ts';
import { formatCount, formatRate } from './figures.ts';

/** An event's `queue` as the admin views carry it: its settings, the seed once revealed, and its figures. */
export type AdminQueue = NonNullable<AdminEvent['queue']>;

/**
 * The queue an admin event view carries, or a live frame once the server adds it there; undefined when
 * the server sends none (then the panel stays hidden), null for an event without a queue.
 */
export const queueOf = (carrier: object | undefined): AdminQueue | null | undefined =>
  (carrier as { queue?: AdminQueue | null } | undefined)?.queue;

/**
 * Writes the queue into the panel, found by its data-queue attributes; hides the panel for an event
 * without a queue (or from a server that does not send one).
 */
export function renderQueuePanel(panel: HTMLElement, queue: AdminQueue | null | undefined): void {
  panel.hidden = !queue;
  if (!queue) return;
  const set = (name: string, text: string) => {
    const element = panel.querySelector<HTMLElement>(`[data-queue="${name}"]`);
    if (element && element.textContent !== text) element.textContent = text;
  };
  const hold = queue.maxActive === null ? 'no hold' : `holds at ${formatCount(queue.maxActive)} unused turns`;
  set(
    'settings',
    `Joining opens ${queue.prequeueAt ? new Date(queue.prequeueAt).toLocaleString() : '—'} · ` +
      `${formatCount(queue.admitPerSecond)}/s · ` +
      `${hold} · a turn lasts ${formatCount(queue.tokenTtlSeconds)} s`,
  );
  set('seed', queue.seed ?? 'revealed at the opening');

  const figures = queue.figures;
  const admitted = figures ? Math.floor(figures.window) : null;
  set('joined', formatCount(figures?.joined));
  set(
    'waiting',
    figures ? `${formatCount(Math.max(0, figures.joined - Math.floor(figures.window)))} still waiting` : '',
  );
  set('window', formatCount(admitted));
  set('windowNote', admitted ? `positions 1–${formatCount(admitted)} had their turn` : 'no turn given yet');
  set('pace', figures ? `${formatRate(figures.pace)}/s` : '—');
  set('paceSetting', `setting ${formatCount(queue.admitPerSecond)}/s`);
  set('tokensIssued', formatCount(figures?.tokensIssued));
  set(
    'tokensUsed',
    figures
      ? `${formatCount(figures.tokensUsed)} used · ${formatCount(Math.max(0, figures.tokensIssued - figures.tokensUsed))} unused`
      : '',
  );

  // Only the reasons that happened, the commonest first.
  const seen = Object.entries(figures?.refusals ?? {})
    .filter(([, count]) => count > 0)
    .sort(([, a], [, b]) => b - a);
  set('refusalsTotal', formatCount(figures ? seen.reduce((sum, [, count]) => sum + count, 0) : null));
  panel.querySelector<HTMLElement>('[data-queue="refusals"]')?.replaceChildren(
    ...seen.map(([reason, count]) => {
      const item = document.createElement('li');
      item.dataset.reason = reason;
      item.textContent = `${reason.replaceAll('_', ' ')}: ${formatCount(count)}`;
      return item;
    }),
  );
}
