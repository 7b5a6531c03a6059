import { describe, expect, it } from 'vitest';
import { titleFilter } from '../../connectors/prm/prm-client.ts';
import { matchesPrmFilter, parsePrmFilter } from './prm-filter.ts';
import { PRM_OBJECTS } from './prm-objects.ts';

/** D15: the connector's title filter, read by the simulated PRM's filter language (case-sensitive `like`). */
const matches = (searched: string, stored: string) => matchesPrmFilter({ title: stored }, parsePrmFilter(titleFilter(searched), PRM_OBJECTS.MdfClaim__co!));

describe('titleFilter (D15)', () => {
  it('matches every title equal without regard to case and surrounding spaces, on a PRM whose like is case-sensitive', () => {
    for (const stored of ['Partner Day Frankfurt', '  partner day FRANKFURT ', 'PARTNER DAY FRANKFURT', 'pArTnEr dAy fRaNkFuRt\t']) {
      expect(matches(' Partner day frankfurt', stored)).toBe(true);
    }
    expect(matches("Q3 webinar: O'Brien 50% _x_", "  q3 WEBINAR: o'brien 50% _X_")).toBe(true);
    expect(matches('Übersee-Messe', 'übersee-messe')).toBe(true);
  });

  it('leaves out most other titles (the connector compares what comes back)', () => {
    expect(matches('Partner Day Frankfurt', 'Webinar 12')).toBe(false);
    expect(matches('Partner Day Frankfurt', 'Partner Day Berlin')).toBe(false);
    expect(matches('Q3 Webinar', 'Q4 Webinar')).toBe(false);
  });
});
