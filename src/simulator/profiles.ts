/**
 * Built-in load profiles: one day (1,440 minutes) each, meant to repeat, so the simulation scales the day to a month.
 * They are shapes seen in practice, picked to exercise each side of the hybrid, not tuned to make it win:
 *
 * - `steady-low`: an internal tool or small API, about 2 requests/s all day. Lambda's home ground.
 * - `steady-high`: a busy API at about 200 requests/s all day. Fargate's home ground.
 * - `diurnal`: a consumer site following the sun, a sine from 5 requests/s at 04:00 to 150 at 16:00.
 * - `spiky`: a quiet API (2 requests/s) with five bursts of 20 to 60 minutes at 60 to 150 requests/s (batch jobs,
 *   newsletters, a partner's nightly sync), each reached in 2 minutes.
 * - `event`: a quiet day (2 requests/s) with one evening event: a 30-minute ramp to 400 requests/s at 18:00,
 *   three hours at that level, a 30-minute ramp down.
 *
 * The controller's defaults move traffic to Fargate above 1,200 requests/min (20/s) sustained for 3 minutes.
 */
import { Trace } from './trace';

export const MINUTES_PER_DAY = 1440;

export const PROFILE_NAMES = ['steady-low', 'steady-high', 'diurnal', 'spiky', 'event'] as const;
export type ProfileName = typeof PROFILE_NAMES[number];

export function isProfileName(name: string): name is ProfileName {
  return (PROFILE_NAMES as readonly string[]).includes(name);
}

/** The requests per second of a built-in profile for each minute of the day. */
export function profileTrace(name: ProfileName): Trace {
  return { name, rpsByMinute: Array.from({ length: MINUTES_PER_DAY }, (_, minute) => round2(RATES[name](minute))), repeats: true };
}

interface Burst {
  readonly startMinute: number;
  readonly minutes: number;
  readonly rps: number;
}

const QUIET_RPS = 2;
const RAMP_MINUTES = 2;

/** Bursts of the `spiky` profile, spread over the day at uneven gaps. */
const SPIKY_BURSTS: readonly Burst[] = [
  { startMinute: 2 * 60 + 10, minutes: 25, rps: 80 },
  { startMinute: 8 * 60 + 30, minutes: 45, rps: 120 },
  { startMinute: 12 * 60, minutes: 20, rps: 60 },
  { startMinute: 15 * 60 + 40, minutes: 60, rps: 150 },
  { startMinute: 20 * 60 + 15, minutes: 30, rps: 100 },
];

const RATES: Record<ProfileName, (minute: number) => number> = {
  'steady-low': () => QUIET_RPS,
  'steady-high': () => 200,
  'diurnal': (minute) => {
    const troughMinute = 4 * 60;
    const phase = (2 * Math.PI * (minute - troughMinute)) / MINUTES_PER_DAY;
    return 5 + (150 - 5) * (1 - Math.cos(phase)) / 2;
  },
  'spiky': (minute) => Math.max(QUIET_RPS, ...SPIKY_BURSTS.map((burst) => burstRate(burst, minute, RAMP_MINUTES))),
  'event': (minute) => Math.max(QUIET_RPS, burstRate({ startMinute: 18 * 60 - 30, minutes: 4 * 60, rps: 400 }, minute, 30)),
};

/** A trapezoid: ramps up over `ramp` minutes from the start, holds, ramps down over the last `ramp` minutes. */
function burstRate(burst: Burst, minute: number, ramp: number): number {
  const into = minute - burst.startMinute;
  if (into < 0 || into >= burst.minutes) {
    return 0;
  }
  const fromEnd = burst.minutes - 1 - into;
  return burst.rps * Math.min(1, (into + 1) / ramp, (fromEnd + 1) / ramp);
}

function round2(value: number): number {
  return Math.round(value * 100) / 100;
}
