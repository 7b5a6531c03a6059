import { didYouMean } from '../recipes/closest-name.ts';

/**
 * Why a delivery's event is refused when its source has no such event, and what to send instead: the
 * event without the source when the body repeats it (`prm.mdf_request.submitted` to `/webhooks/prm`,
 * as recipes and `GET /recipes` write it), the event it is a typo of, or the source's events.
 */
export function unknownEventMessage(source: string, event: string, events: readonly string[]): string {
  const refused = `source ${source} has no event "${event}"`;
  if (event.startsWith(`${source}.`) && events.includes(event.slice(source.length + 1))) {
    return `${refused}: the URL names the source (/webhooks/${source}), so the body's event is written without it: "${event.slice(source.length + 1)}"`;
  }
  const meant = didYouMean(event, events);
  if (meant) return refused + meant;
  return `${refused}; its events: ${events.length > 0 ? [...events].sort().join(', ') : 'none'}`;
}
