import { z } from 'zod';

/** A limit read from the environment: a whole number from 1 to `max` (a string from the environment is coerced). */
export const LimitSetting = (max: number) =>
  z.coerce
    .number({ error: 'must be a whole number' })
    .int('must be a whole number')
    .min(1, 'must be at least 1')
    .max(max, `must be at most ${max}`);
