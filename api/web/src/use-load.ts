import { useCallback, useEffect, useRef, useState } from 'preact/hooks';

/**
 * Loads data for a page: loading, error and data states, reload(), and (optionally) a refresh
 * every few seconds while the page is shown. A stale answer never overwrites a newer one.
 */
export interface Loaded<T> {
  data: T | undefined;
  error: unknown;
  loading: boolean;
  reload(): void;
}

export function useLoad<T>(load: (signal: AbortSignal) => Promise<T>, deps: unknown[], opts: { refreshMs?: number } = {}): Loaded<T> {
  const [state, setState] = useState<{ data: T | undefined; error: unknown; loading: boolean }>({ data: undefined, error: undefined, loading: true });
  const seq = useRef(0);
  const run = useCallback(
    (quiet: boolean) => {
      const mine = ++seq.current;
      const ctl = new AbortController();
      if (!quiet) setState((s) => ({ ...s, loading: true, error: undefined }));
      load(ctl.signal).then(
        (data) => {
          if (mine === seq.current) setState({ data, error: undefined, loading: false });
        },
        (error: unknown) => {
          if ((error as Error)?.name === 'AbortError') return;
          if (mine === seq.current) setState((s) => ({ data: quiet ? s.data : undefined, error, loading: false }));
        },
      );
      return ctl;
    },
    // eslint-disable-next-line react-hooks/exhaustive-deps
    deps,
  );
  useEffect(() => {
    const ctl = run(false);
    let timer: ReturnType<typeof setInterval> | undefined;
    if (opts.refreshMs) timer = setInterval(() => document.visibilityState === 'visible' && run(true), opts.refreshMs);
    return () => {
      ctl.abort();
      seq.current++;
      if (timer) clearInterval(timer);
    };
  }, [run, opts.refreshMs]);
  return { ...state, reload: () => run(false) };
}
