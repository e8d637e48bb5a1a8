/**
 * Built-in load profiles, meant to repeat (one day, or one week for `business-week`), so the simulation scales them to
 * a month. They are shapes seen in practice, picked to exercise each side of the hybrid, not tuned to make it win:
 *
 * - `steady-low`: an internal tool or small API, about 2 requests/s all day. Lambda's home ground.
 * - `steady-high`: a busy API at about 200 requests/s all day. Fargate's home ground.
 * - `diurnal`: a consumer site following the sun, a sine from 5 requests/s at 04:00 to 150 at 16:00.
 * - `spiky`: a quiet API (2 requests/s) with five bursts of 20 to 60 minutes at 60 to 150 requests/s (batch jobs,
 *   newsletters, a partner's nightly sync), each reached in 2 minutes.
 * - `event`: a quiet day (2 requests/s) with one evening event: a 30-minute ramp to 400 requests/s at 18:00,
 *   three hours at that level, a 30-minute ramp down.
 * - `flash-crowd`: idle (0.2 requests/s), then 1,500 requests/s within one minute for 8 minutes, then idle: a link
 *   on a front page. More than `maxTasks` tasks can carry, and over before a full shift could finish.
 * - `periodic-bursts`: 4 minutes at 30 requests/s every 20 minutes on a 4 requests/s base: a cron-driven client.
 *   Each burst is shorter than a shift.
 * - `business-week`: seven days of office hours (weekdays 08:00-18:00 up to 120 requests/s with a lunch dip,
 *   1 request/s at night, 3 at weekends).
 * - `threshold-hover`: load wandering around the scale-out threshold (14 to 26 requests/s), the case where a
 *   controller can flap.
 * - `ramp-surge`: a quiet day with a 20-minute ramp to 800 requests/s at 11:00 held for an hour.
 * - `short-spikes`: 2 requests/s with a 1-minute spike to 300 requests/s every 30 minutes.
 *
 * Fault scenarios (`SCENARIO_NAMES`) pair a profile with injected faults; see `scenarioFaults`.
 *
 * The controller's defaults move traffic to Fargate above 1,200 requests/min (20/s) sustained for 2 minutes.
 */
import { Trace } from './trace';

export const MINUTES_PER_DAY = 1440;
const MINUTES_PER_WEEK = 7 * MINUTES_PER_DAY;

export const BASE_PROFILE_NAMES = [
  'steady-low', 'steady-high', 'diurnal', 'spiky', 'event', 'flash-crowd', 'periodic-bursts', 'business-week', 'threshold-hover',
  'ramp-surge', 'short-spikes',
] as const;
export type BaseProfileName = typeof BASE_PROFILE_NAMES[number];

/** The five profiles the first simulator shipped with; the benchmark holds the hybrid to a tighter bound on them. */
export const ORIGINAL_PROFILE_NAMES: readonly BaseProfileName[] = ['steady-low', 'steady-high', 'diurnal', 'spiky', 'event'];

/**
 * Fault scenarios: a profile plus the faults of the `faults` config section, at times when they hurt most (while
 * Fargate carries the load, or during a shift).
 */
const SCENARIOS = {
  'event-crash-all': { profile: 'event', faults: { taskCrashes: [{ atMinute: 1140, tasks: 'all' }] } },
  'event-crash-two': { profile: 'event', faults: { taskCrashes: [{ atMinute: 1110, tasks: 2 }] } },
  'event-redeploy': { profile: 'event', faults: { redeploys: [{ atMinute: 1140, touches: ['listener', 'service', 'schedule'] }] } },
  'event-image-deploy': { profile: 'event', faults: { redeploys: [{ atMinute: 1140, touches: ['service'] }] } },
  'event-fargate-errors': { profile: 'event', faults: { fargateErrorRate: [{ fromMinute: 1110, toMinute: 1170, rate: 0.5 }] } },
  'event-unhealthy': { profile: 'event', faults: { unhealthyTasks: [{ fromMinute: 1120, toMinute: 1135, tasks: 'all' }] } },
  'steady-high-slow-tasks': { profile: 'steady-high', faults: { slowTasks: [{ fromMinute: 0, toMinute: 1440, capacityFactor: 0.6 }] } },
  'spiky-lost-events': { profile: 'spiky', faults: { lostEventRate: 0.2 } },
  'spiky-api-failures': { profile: 'spiky', faults: { apiFailureRate: 0.1 } },
  'spiky-metric-delay': { profile: 'spiky', faults: { metricDelaySeconds: { min: 60, max: 240 } } },
  'flash-crowd-crash': { profile: 'flash-crowd', faults: { taskCrashes: [{ atMinute: 606, tasks: 'all' }] } },
  // The capacity prop says 100 requests/s per task; the tasks really serve 60: the overload signal must pull back.
  'ramp-surge-overestimated': {
    profile: 'ramp-surge',
    faults: { slowTasks: [{ fromMinute: 0, toMinute: 1440, capacityFactor: 0.6 }] },
    scaling: { taskCapacityRequestsPerMinute: 6000 },
  },
} as const satisfies Record<string, { profile: BaseProfileName; faults: Record<string, unknown>; scaling?: Record<string, unknown> }>;

export type ScenarioName = keyof typeof SCENARIOS;
export const SCENARIO_NAMES = Object.keys(SCENARIOS) as ScenarioName[];

export const PROFILE_NAMES = [...BASE_PROFILE_NAMES, ...SCENARIO_NAMES] as const;
export type ProfileName = BaseProfileName | ScenarioName;

export function isProfileName(name: string): name is ProfileName {
  return (PROFILE_NAMES as readonly string[]).includes(name);
}

/** The requests per second of a built-in profile (or a scenario's profile) for each minute. */
export function profileTrace(name: ProfileName): Trace {
  const base = isScenario(name) ? SCENARIOS[name].profile : name;
  const minutes = base === 'business-week' ? MINUTES_PER_WEEK : MINUTES_PER_DAY;
  return { name, rpsByMinute: Array.from({ length: minutes }, (_, minute) => round2(RATES[base](minute))), repeats: true };
}

/** The `faults` config section of a scenario; undefined for a plain profile. */
export function scenarioFaults(name: ProfileName): Record<string, unknown> | undefined {
  return isScenario(name) ? JSON.parse(JSON.stringify(SCENARIOS[name].faults)) : undefined;
}

/** A scenario's config sections (`faults`, and `scaling` where it sets one); {} for a plain profile. */
export function scenarioConfig(name: ProfileName): Record<string, unknown> {
  if (!isScenario(name)) {
    return {};
  }
  const scenario: { faults: unknown; scaling?: unknown } = SCENARIOS[name];
  return JSON.parse(JSON.stringify({ faults: scenario.faults, ...(scenario.scaling ? { scaling: scenario.scaling } : {}) }));
}

function isScenario(name: ProfileName): name is ScenarioName {
  return name in SCENARIOS;
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

const RATES: Record<BaseProfileName, (minute: number) => number> = {
  'steady-low': () => QUIET_RPS,
  'steady-high': () => 200,
  'diurnal': (minute) => {
    const troughMinute = 4 * 60;
    const phase = (2 * Math.PI * (minute - troughMinute)) / MINUTES_PER_DAY;
    return 5 + (150 - 5) * (1 - Math.cos(phase)) / 2;
  },
  'spiky': (minute) => Math.max(QUIET_RPS, ...SPIKY_BURSTS.map((burst) => burstRate(burst, minute, RAMP_MINUTES))),
  'event': (minute) => Math.max(QUIET_RPS, burstRate({ startMinute: 18 * 60 - 30, minutes: 4 * 60, rps: 400 }, minute, 30)),
  'flash-crowd': (minute) => Math.max(0.2, burstRate({ startMinute: 600, minutes: 8, rps: 1500 }, minute, 1)),
  'periodic-bursts': (minute) => (minute % 20 < 4 ? 30 : 4),
  'business-week': (minute) => officeHours(minute),
  'threshold-hover': (minute) => 20 + 6 * Math.sin((2 * Math.PI * minute) / 37) * Math.cos((2 * Math.PI * minute) / 113),
  'ramp-surge': (minute) => Math.max(QUIET_RPS, burstRate({ startMinute: 11 * 60 - 20, minutes: 100, rps: 800 }, minute, 20)),
  'short-spikes': (minute) => (minute % 30 === 15 ? 300 : QUIET_RPS),
};

/** Weekdays (days 0-4) 08:00-18:00: a ramp to 120 requests/s by 10:00, a dip at lunch, a ramp down from 16:00. */
function officeHours(minute: number): number {
  const day = Math.floor(minute / MINUTES_PER_DAY);
  const hour = (minute % MINUTES_PER_DAY) / 60;
  if (day >= 5) {
    return 3;
  }
  if (hour < 8 || hour >= 18) {
    return 1;
  }
  const ramp = Math.min(1, (hour - 8) / 2, (18 - hour) / 2);
  const lunch = hour >= 12 && hour < 13 ? 0.6 : 1;
  return Math.max(1, 120 * ramp * lunch);
}

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
