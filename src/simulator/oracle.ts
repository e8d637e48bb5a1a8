/**
 * The hindsight oracle: the cheapest way the trace could have been served by a strategy that knew all of it in
 * advance, a lower bound for what the hybrid controller can achieve.
 *
 * Model. Minute by minute the oracle chooses how many Fargate tasks serve (0 to `maxTasks`); Fargate takes as many of
 * the minute's requests as those tasks can serve and Lambda takes the rest, so no request fails that Lambda alone
 * would serve (no task is ever overloaded; Lambda's concurrency limit is not modelled).
 * - Demand is the number of requests offered in each minute of the trace.
 * - A task serves at most `taskRequestsPerSecond * 60 * capacityFactor` requests in a minute. The capacity factor
 *   stands for faults known in advance: 0 in minutes in which Fargate must not serve (an error window, all tasks
 *   unhealthy), 0.6 for slow tasks, 1 otherwise.
 * - A task takes a fixed `taskStartSeconds` (S, the mean of task start and health checks) to serve, so a task that
 *   serves from minute m is launched at m * 60 - S and is paid from its launch: raising the count from n to n'
 *   costs (n' - n) * (S / 60) task-minutes.
 * - Tasks are stopped for free at any minute boundary: draining and the stop itself are not modelled.
 * - Fargate bills per second with a one-minute minimum. A task serves whole minutes, so it lives at least 60 s plus
 *   its start and the minimum never applies; tasks serving before minute 0 (`initialTasks`) are already paid.
 * - A minute with n serving tasks, capacity c per task and demand D costs
 *   n * taskMinuteUsd + min(D, n * c) * fargateRequestUsd + max(0, D - n * c) * lambdaRequestUsd.
 * Nothing else is counted: not the load balancer (its LCUs per request differ by side; fold them into the two
 * request prices where they matter), the alarms or the controller.
 *
 * The plan is exact: dynamic programming over the task count of each minute. Because raising the count costs the
 * same for every added task and lowering it is free, the cheapest way into each count is a running minimum over
 * the counts below it (plus one launch per step) and over the counts above it, which makes the plan take
 * O(minutes * (maxTasks + 1)) time and memory. On equal cost the plan prefers fewer tasks: it ends with the fewest,
 * and each minute comes from the fewest tasks in the minute before.
 */

export interface OracleInput {
  /** Requests offered in each minute. */
  readonly requestsByMinute: ArrayLike<number>;
  /** Requests per second one healthy task serves without queueing. */
  readonly taskRequestsPerSecond: number;
  /**
   * Share of its capacity a task has in each minute, 0 to 1.
   * @default 1 for every minute; minutes past the end of the array count as 1
   */
  readonly capacityFactorByMinute?: ArrayLike<number>;
  /** Seconds from launch to serving (mean task start + health checks). */
  readonly taskStartSeconds: number;
  /** Most tasks that may serve at once. */
  readonly maxTasks: number;
  /** USD for one task for one minute (vCPU + memory + public IPv4 if any). */
  readonly taskMinuteUsd: number;
  /** USD per request served on Lambda (request price + duration + its log ingestion). */
  readonly lambdaRequestUsd: number;
  /** USD per request served on Fargate (its log ingestion; 0 if none). */
  readonly fargateRequestUsd: number;
  /**
   * Tasks serving before minute 0, already launched and paid.
   * @default 0
   */
  readonly initialTasks?: number;
}

export interface OraclePlan {
  /** Tasks serving (healthy) during each minute. */
  readonly servingTasksByMinute: number[];
  /** Share of each minute's requests Fargate takes, 0 to 1: min(1, tasks * capacity / demand), 0 when no tasks or no demand. */
  readonly fargateShareByMinute: number[];
  /** Tasks that start serving at the start of each minute (for a replay: launch them taskStartSeconds earlier). */
  readonly launchesByMinute: number[];
  /** The plan's cost in USD over the trace (not scaled to a month). */
  readonly plannedCostUsd: number;
}

/** The cheapest way into one task count, and the count of the minute before it comes from. */
interface Entry {
  readonly costUsd: number;
  readonly from: number;
}

export function planOracle(input: OracleInput): OraclePlan {
  validateOracleInput(input);
  const minutes = input.requestsByMinute.length;
  const states = input.maxTasks + 1;
  // from[m * states + n]: the task count in minute m - 1 on the cheapest way to n tasks in minute m.
  const from = new Int32Array(minutes * states);
  const launchUsd = launchCostUsd(input);
  let costs = startingCosts(states, input.initialTasks ?? 0);
  for (let minute = 0; minute < minutes; minute++) {
    const entries = cheapestEntries(costs, launchUsd);
    costs = entries.map((entry, tasks) => entry.costUsd + minuteCostUsd(input, minute, tasks));
    entries.forEach((entry, tasks) => { from[minute * states + tasks] = entry.from; });
  }
  const last = fewestTasksOfLeastCost(costs);
  const servingTasksByMinute = backtrack(from, states, minutes, last);
  return {
    servingTasksByMinute,
    fargateShareByMinute: servingTasksByMinute.map((tasks, minute) => fargateShare(input, minute, tasks)),
    launchesByMinute: launches(servingTasksByMinute, input.initialTasks ?? 0),
    plannedCostUsd: costs[last],
  };
}

/** Before minute 0 only the initial count is reachable, at no cost. */
function startingCosts(states: number, initialTasks: number): number[] {
  return Array.from({ length: states }, (_, tasks) => (tasks === initialTasks ? 0 : Infinity));
}

/** What one added task costs before it serves: it is paid from its launch, taskStartSeconds early. */
function launchCostUsd(input: OracleInput): number {
  return (input.taskStartSeconds / 60) * input.taskMinuteUsd;
}

/**
 * For each count n', the cheapest count n of the minute before: from below it costs one launch per added task, from
 * above nothing. Two running minimums cover both in O(states) instead of comparing every pair. Ties go to the fewer
 * tasks: to the way from below, and within each running minimum to the smaller n.
 */
function cheapestEntries(costs: readonly number[], launchUsd: number): Entry[] {
  const fromBelow: Entry[] = [];
  costs.forEach((costUsd, tasks) => {
    const raised = tasks === 0 ? undefined : { costUsd: fromBelow[tasks - 1].costUsd + launchUsd, from: fromBelow[tasks - 1].from };
    fromBelow.push(raised !== undefined && raised.costUsd <= costUsd ? raised : { costUsd, from: tasks });
  });
  const fromAbove: Entry[] = new Array(costs.length);
  for (let tasks = costs.length - 1; tasks >= 0; tasks--) {
    const lowered = fromAbove[tasks + 1];
    fromAbove[tasks] = lowered !== undefined && lowered.costUsd < costs[tasks] ? lowered : { costUsd: costs[tasks], from: tasks };
  }
  return fromBelow.map((below, tasks) => (below.costUsd <= fromAbove[tasks].costUsd ? below : fromAbove[tasks]));
}

/** Requests one task serves in the minute, after the faults planned for it. */
function taskCapacity(input: OracleInput, minute: number): number {
  const factors = input.capacityFactorByMinute;
  const factor = factors !== undefined && minute < factors.length ? factors[minute] : 1;
  return input.taskRequestsPerSecond * 60 * factor;
}

/** Tasks paid for the minute, Fargate serving what they can, Lambda the rest. */
function minuteCostUsd(input: OracleInput, minute: number, tasks: number): number {
  const demand = input.requestsByMinute[minute];
  const onFargate = Math.min(demand, tasks * taskCapacity(input, minute));
  return tasks * input.taskMinuteUsd + onFargate * input.fargateRequestUsd + (demand - onFargate) * input.lambdaRequestUsd;
}

function fewestTasksOfLeastCost(costs: readonly number[]): number {
  return costs.reduce((best, costUsd, tasks) => (costUsd < costs[best] ? tasks : best), 0);
}

function backtrack(from: Int32Array, states: number, minutes: number, last: number): number[] {
  const tasksByMinute = new Array<number>(minutes);
  let tasks = last;
  for (let minute = minutes - 1; minute >= 0; minute--) {
    tasksByMinute[minute] = tasks;
    tasks = from[minute * states + tasks];
  }
  return tasksByMinute;
}

function fargateShare(input: OracleInput, minute: number, tasks: number): number {
  const demand = input.requestsByMinute[minute];
  return tasks === 0 || demand === 0 ? 0 : Math.min(1, (tasks * taskCapacity(input, minute)) / demand);
}

function launches(tasksByMinute: readonly number[], initialTasks: number): number[] {
  return tasksByMinute.map((tasks, minute) => Math.max(0, tasks - (minute === 0 ? initialTasks : tasksByMinute[minute - 1])));
}

function validateOracleInput(input: OracleInput): void {
  for (const field of ['taskRequestsPerSecond', 'taskStartSeconds', 'taskMinuteUsd', 'lambdaRequestUsd', 'fargateRequestUsd'] as const) {
    requireNonNegative(field, input[field]);
  }
  requireTaskCount('maxTasks', input.maxTasks);
  if (input.initialTasks !== undefined) {
    requireTaskCount('initialTasks', input.initialTasks);
    if (input.initialTasks > input.maxTasks) {
      throw new Error(`oracle initialTasks ${input.initialTasks} is above maxTasks ${input.maxTasks}; use 0 to ${input.maxTasks}`);
    }
  }
  Array.from(input.requestsByMinute).forEach((requests, minute) => requireNonNegative(`requestsByMinute[${minute}]`, requests));
  Array.from(input.capacityFactorByMinute ?? []).forEach((factor, minute) => {
    if (!(Number.isFinite(factor) && factor >= 0 && factor <= 1)) {
      throw new Error(`oracle capacityFactorByMinute[${minute}] ${factor} is not allowed; use a number from 0 to 1`);
    }
  });
}

function requireNonNegative(field: string, value: number): void {
  if (!(Number.isFinite(value) && value >= 0)) {
    throw new Error(`oracle ${field} ${value} is not allowed; use a finite number >= 0`);
  }
}

function requireTaskCount(field: string, value: number): void {
  if (!(Number.isInteger(value) && value >= 0)) {
    throw new Error(`oracle ${field} ${value} is not allowed; use an integer >= 0`);
  }
}
