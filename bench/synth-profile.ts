/**
 * Where the synth time goes: a CPU profile (node:inspector) of repeated syntheses, each sample charged to the phase
 * of app.synth() it was taken in (or to the construct's constructor), plus a few costs that cut across phases.
 * Profiling slows everything down about equally; compare the shares and ratios, not the absolute figures with the
 * timed runs.
 */
import { Session } from 'inspector';

/** What to profile: a function that builds one App, its construct, and synthesizes it. */
export interface ProfiledSubject {
  readonly name: string;
  /** Builds the construct; its frames are the "construct" phase. */
  readonly construct: () => void;
  /** Synthesizes what construct() built. */
  readonly synth: () => void;
}

interface ProfileNode {
  readonly id: number;
  readonly callFrame: { readonly functionName: string; readonly url: string };
  readonly children?: number[];
}

interface Profile {
  readonly nodes: ProfileNode[];
  readonly samples: number[];
  readonly timeDeltas: number[];
}

/** Top-level phases, found as the outermost matching frame; in the order app.synth() runs them. */
const PHASES: Array<{ name: string; matches: (fn: string, url: string) => boolean }> = [
  { name: 'construct (constructors, asset staging)', matches: fn => fn === 'profiledConstruct' },
  { name: 'aspects and metadata resources', matches: fn => /^(invokeAspects|invokeAspectsV2|injectMetadataResources|injectTreeMetadata)$/.test(fn) },
  { name: 'prepare (cross-references)', matches: fn => fn === 'prepareApp' },
  { name: 'validate', matches: fn => fn === 'validateTree' },
  { name: 'synthesize (templates, tree.json, manifests)', matches: fn => fn === 'synthesizeTree' },
  { name: 'write the assembly', matches: fn => fn === 'buildAssembly' },
];

/** Costs inside those phases, found as any matching frame. */
const CROSS_CUTTING: Array<{ name: string; matches: (fn: string, url: string) => boolean }> = [
  { name: 'of which: creation stack traces', matches: (fn, url) => fn === 'captureStackTrace' && url.includes('stack-trace') },
  { name: 'of which: token resolution', matches: (fn, url) => fn === 'resolve' && url.includes('private/resolve') },
  { name: 'of which: tree.json', matches: (fn, url) => fn === '_synthesizeTree' && url.includes('tree-metadata') },
  { name: 'of which: asset hashing and copying', matches: (fn, url) => fn === 'AssetStaging' || (fn === 'fingerprint' && url.includes('/fs/')) },
];

export interface PhaseProfile {
  /** Milliseconds per synthesis, by phase name (PHASES then CROSS_CUTTING, then 'other'). */
  readonly msPerRun: Map<string, number>;
  readonly runs: number;
}

/** Profiles `runs` syntheses of the subject and charges the samples to phases. */
export function profileSynth(subject: ProfiledSubject, runs: number): PhaseProfile {
  const session = new Session();
  session.connect();
  try {
    post(session, 'Profiler.enable');
    post(session, 'Profiler.setSamplingInterval', { interval: 100 });
    post(session, 'Profiler.start');
    for (let i = 0; i < runs; i++) {
      profiledConstruct(subject);
      subject.synth();
    }
    const { profile } = post(session, 'Profiler.stop') as { profile: Profile };
    return { msPerRun: chargeToPhases(profile, runs), runs };
  } finally {
    session.disconnect();
  }
}

/** A named frame, so the samples taken inside the constructor can be told apart. */
function profiledConstruct(subject: ProfiledSubject): void {
  subject.construct();
}

function chargeToPhases(profile: Profile, runs: number): Map<string, number> {
  const parent = new Map<number, ProfileNode>();
  const byId = new Map(profile.nodes.map(n => [n.id, n]));
  for (const node of profile.nodes) {
    for (const child of node.children ?? []) parent.set(child, node);
  }
  const totals = new Map<string, number>([...PHASES, ...CROSS_CUTTING].map(p => [p.name, 0]));
  totals.set('other (bench loop, GC outside synth)', 0);
  profile.samples.forEach((id, i) => {
    const us = profile.timeDeltas[i] ?? 0;
    const frames: ProfileNode[] = [];
    for (let node = byId.get(id); node; node = parent.get(node.id)) frames.push(node);
    // Outermost first: the phase is the first marker met walking down from the root.
    const phase = PHASES.find(p => [...frames].reverse().some(f => p.matches(f.callFrame.functionName, f.callFrame.url)));
    const phaseName = phase?.name ?? 'other (bench loop, GC outside synth)';
    totals.set(phaseName, totals.get(phaseName)! + us);
    for (const cost of CROSS_CUTTING) {
      if (frames.some(f => cost.matches(f.callFrame.functionName, f.callFrame.url))) {
        totals.set(cost.name, totals.get(cost.name)! + us);
      }
    }
  });
  return new Map([...totals].map(([name, us]) => [name, us / 1000 / runs]));
}

function post(session: Session, method: string, params?: object): unknown {
  let result: unknown;
  let error: Error | null = null;
  // The in-process session answers synchronously.
  session.post(method, params ?? {}, (e, r) => {
    error = e;
    result = r;
  });
  if (error) throw error;
  return result;
}
