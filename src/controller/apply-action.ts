/**
 * What one action changes, as the controller writes it: the single interpreter of `Action`s, used by the handler's
 * decision log (the weights and counts after the applied actions), the simulator's world and the tests' world model.
 * Pure. What AWS does in reaction to a write (Application Auto Scaling raising the desired count to a new minimum,
 * ECS starting tasks) is not here: each world models it after calling this.
 */
import { Action, Marks, mergeMarks } from './types';

/** The parts of the system the controller's actions write. */
export interface ControlledState {
  readonly lambdaWeight: number;
  readonly fargateWeight: number;
  readonly desiredCount: number;
  readonly minCapacity: number;
  readonly marks: Marks;
  /** Whether the reconcile schedule is enabled. */
  readonly reconcileEnabled: boolean;
}

export function applyAction(state: ControlledState, action: Action): ControlledState {
  switch (action.kind) {
    case 'setWeights':
      return { ...state, lambdaWeight: action.lambda, fargateWeight: action.fargate };
    case 'setDesiredCount':
      return { ...state, desiredCount: action.count };
    case 'setMinCapacity':
      return { ...state, minCapacity: action.min };
    case 'setMarks':
      return { ...state, marks: mergeMarks(state.marks, action.marks) };
    case 'enableReconcile':
      return { ...state, reconcileEnabled: true };
    case 'disableReconcile':
      return { ...state, reconcileEnabled: false };
  }
}

/** The state after the actions, in order. */
export function applyActions(state: ControlledState, actions: readonly Action[]): ControlledState {
  return actions.reduce(applyAction, state);
}
