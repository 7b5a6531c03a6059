import type { BusinessCalendar } from '../../server/engine/business-calendar.ts';

/** The demo business calendar's zone and weekend, with the 2026 Easter holidays the timer tests cross. */
export const BERLIN_EASTER_2026: BusinessCalendar = {
  timezone: 'Europe/Berlin',
  weekend: [6, 7],
  holidays: [
    { date: '2026-04-03', name: 'Good Friday' },
    { date: '2026-04-06', name: 'Easter Monday' },
  ],
};
