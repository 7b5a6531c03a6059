import { describe, expect, it } from 'vitest';
import { IntakePressure } from './intake-pressure.ts';

/** A pressure gauge on a hand-moved clock, with the loop's utilization set by the test. */
function gauge(utilization: number) {
  const clock = { now: 1000 };
  const loop = { utilization };
  const pressure = new IntakePressure(
    () => loop.utilization,
    () => clock.now,
  );
  return { pressure, clock, loop };
}

describe('IntakePressure', () => {
  it('is high while deliveries keep arriving on a saturated loop', () => {
    const { pressure } = gauge(0.97);
    pressure.deliveryArrived();
    expect(pressure.high).toBe(true);
  });

  it('is not high for a saturated loop without deliveries (the worker draining a backlog)', () => {
    const { pressure, clock } = gauge(1);
    expect(pressure.high).toBe(false);
    pressure.deliveryArrived();
    clock.now += 150;
    expect(pressure.high).toBe(false);
  });

  it('is not high for deliveries on a loop with time to spare', () => {
    const { pressure } = gauge(0.5);
    pressure.deliveryArrived();
    expect(pressure.high).toBe(false);
  });

  it('measures the loop again every 100 ms, so it follows the load both ways', () => {
    const { pressure, clock, loop } = gauge(0.95);
    pressure.deliveryArrived();
    expect(pressure.high).toBe(true);
    loop.utilization = 0.4;
    clock.now += 50;
    expect(pressure.high).toBe(true);
    clock.now += 50;
    pressure.deliveryArrived();
    expect(pressure.high).toBe(false);
    loop.utilization = 0.99;
    clock.now += 100;
    pressure.deliveryArrived();
    expect(pressure.high).toBe(true);
  });
});
