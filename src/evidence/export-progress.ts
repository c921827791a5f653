/**
 * Progress of an export job as one fraction 0..1 with the phase it is in. Each phase owns a
 * fixed slice of the bar (the clip takes most of the time: it reads every source segment);
 * reports inside a phase map into its slice. Stored progress never goes backwards, and the
 * row is written only when the phase changes or the fraction moved by at least STEP, one
 * write at a time in order, so a fast clip writer cannot flood the database.
 */
export type ExportPhase = 'clip' | 'hashing' | 'packaging' | 'checking' | 'storing';

export const PHASE_SLICES: Record<ExportPhase, [number, number]> = {
  clip: [0, 0.7],
  hashing: [0.7, 0.8],
  packaging: [0.8, 0.88],
  checking: [0.88, 0.94],
  storing: [0.94, 0.99],
};

export const STEP = 0.01;

/** Overall fraction for a report inside a phase (pure). */
export function overallFraction(phase: ExportPhase, fraction: number): number {
  const [a, b] = PHASE_SLICES[phase];
  const f = Number.isFinite(fraction) ? Math.min(1, Math.max(0, fraction)) : 0;
  return Math.round((a + (b - a) * f) * 1000) / 1000;
}

export interface ProgressReporter {
  report(phase: ExportPhase, fraction: number): void;
  /** Resolves once every write asked for so far is done (rejects with the first failure). */
  flush(): Promise<void>;
}

export function exportProgress(write: (fraction: number, phase: ExportPhase) => Promise<void>): ProgressReporter {
  let lastFraction = -1;
  let lastPhase: ExportPhase | null = null;
  let chain: Promise<void> = Promise.resolve();
  let failure: unknown = null;
  return {
    report(phase, fraction) {
      const overall = Math.max(lastFraction, overallFraction(phase, fraction));
      if (phase === lastPhase && overall - lastFraction < STEP) return;
      lastFraction = overall;
      lastPhase = phase;
      chain = chain.then(() => write(overall, phase)).catch((e: unknown) => {
        failure ??= e;
      });
    },
    async flush() {
      await chain;
      if (failure) throw failure;
    },
  };
}
