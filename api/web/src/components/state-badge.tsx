import { stateKey, useI18n } from '../i18n.ts';
import type { Camera } from '../api-types.ts';

/** A camera's state in the glossary's words, coloured: green recording, amber transient, red down. */
export function stateTone(state: string): 'ok' | 'warn' | 'bad' | 'idle' {
  if (state === 'recording') return 'ok';
  if (state === 'connecting' || state === 'reconnecting') return 'warn';
  if (state === 'stopped' || state === 'unknown') return 'idle';
  return 'bad';
}

export function cameraState(c: Pick<Camera, 'state' | 'enabled' | 'configured'>): string {
  if (!c.configured) return 'removed';
  if (!c.enabled) return 'disabled';
  return c.state;
}

export function StateBadge({ state }: { state: string }) {
  const { t } = useI18n();
  const key = state === 'disabled' ? 'state.disabled' : state === 'removed' ? 'state.removed' : stateKey(state);
  return (
    <span class={`badge badge-${stateTone(state)}`} data-state={state}>
      {t(key)}
    </span>
  );
}
