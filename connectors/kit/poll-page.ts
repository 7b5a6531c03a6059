import { z } from 'zod';

/**
 * The contract of an action a `poll` trigger calls (server/engine/polls.ts). The runtime adds two
 * input fields to the recipe's `input`: `since`, the watermark (the highest `cursor` of the items
 * already turned into runs; null at the first poll, unless the action has a `pollStart`: then its start,
 * stored as the watermark at the first try), and `page`, where the previous answer said the
 * next page is. The answer is one page of items, ordered by their cursor, and where the next page is.
 */
export const pollInput = {
  since: z
    .string()
    .nullish()
    .describe('Set by the poll runtime: the watermark (items changed at or after it are wanted; null at the first poll). Never set it in a recipe.'),
  page: z.string().nullish().describe("Set by the poll runtime: the previous answer's `next_page`; absent for the first page."),
};

/** A poll action's answer: one page of items (ordered by their cursor) and where the next page is. */
export function pollPage<T extends z.ZodType>(item: T) {
  return z.object({
    items: z.array(item).describe('The items of this page, oldest cursor first; each starts one run (deduplicated by the recipe).'),
    next_page: z.string().nullable().describe('Where the next page is (e.g. Salesforce nextRecordsUrl), or null on the last page.'),
  });
}

/** What the runtime reads of any poll action's answer. */
export const PollPageShape = pollPage(z.unknown());
