/**
 * API load for the whole-system bench: a few people at once, for a while, against a Vigil that
 * keeps recording — timelines of the last hour, thumbnails at random recorded instants (mostly
 * cold: each instant is a keyframe not decoded before), and concurrent clip downloads of
 * recorded footage. Each request's time to first body byte and to its end are kept.
 */
export type LoadKind = 'timeline' | 'thumbnail' | 'clip';

export interface LoadResult {
  kind: LoadKind;
  concurrency: number;
  firstByteMs: number[];
  totalMs: number[];
  bytes: number;
  statuses: Record<string, number>;
  /** Requests that got no answer (connection error) or not the expected status. */
  failures: number;
}

export interface ApiLoadOptions {
  url: string;
  token: string;
  /** Recorded range per camera (asks stay inside, away from the live edge). */
  recorded: ReadonlyMap<string, { startMs: number; endMs: number }>;
  durationMs: number;
  concurrency: Record<LoadKind, number>;
  clipMs: number;
}

const iso = (ms: number) => new Date(ms).toISOString();

export async function runApiLoad(o: ApiLoadOptions): Promise<Record<LoadKind, LoadResult>> {
  const cams = [...o.recorded.entries()].filter(([, r]) => r.endMs - r.startMs > o.clipMs + 20_000);
  if (cams.length === 0) throw new Error('no camera has enough footage for the API load yet');
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(Math.random() * xs.length)]!;
  const instant = (r: { startMs: number; endMs: number }, spanMs: number) => r.startMs + 2_000 + Math.floor(Math.random() * (r.endMs - r.startMs - spanMs - 12_000));
  const path: Record<LoadKind, () => string> = {
    timeline: () => {
      const [id, r] = pick(cams);
      return `/api/v1/cameras/${id}/timeline?start=${iso(r.endMs - 3_600_000)}&end=${iso(r.endMs)}`;
    },
    thumbnail: () => {
      const [id, r] = pick(cams);
      return `/api/v1/cameras/${id}/thumbnail?at=${iso(instant(r, 0))}`;
    },
    clip: () => {
      const [id, r] = pick(cams);
      const start = instant(r, o.clipMs);
      return `/api/v1/cameras/${id}/clip?start=${iso(start)}&end=${iso(start + o.clipMs)}`;
    },
  };
  const deadline = Date.now() + o.durationMs;
  const results = {} as Record<LoadKind, LoadResult>;
  const workers: Promise<void>[] = [];
  for (const kind of Object.keys(path) as LoadKind[]) {
    const res: LoadResult = { kind, concurrency: o.concurrency[kind], firstByteMs: [], totalMs: [], bytes: 0, statuses: {}, failures: 0 };
    results[kind] = res;
    for (let w = 0; w < o.concurrency[kind]; w++) {
      workers.push((async () => {
        while (Date.now() < deadline) await timed(`${o.url}${path[kind]()}`, o.token, res);
      })());
    }
  }
  await Promise.all(workers);
  return results;
}

async function timed(url: string, token: string, into: LoadResult): Promise<void> {
  const t0 = performance.now();
  try {
    const res = await fetch(url, { headers: { authorization: `Bearer ${token}` } });
    into.statuses[res.status] = (into.statuses[res.status] ?? 0) + 1;
    let first = -1;
    let bytes = 0;
    for await (const chunk of res.body ?? []) {
      if (first < 0) first = performance.now() - t0;
      bytes += (chunk as Uint8Array).length;
    }
    if (res.status !== 200) {
      into.failures++;
      return;
    }
    into.firstByteMs.push(first < 0 ? performance.now() - t0 : first);
    into.totalMs.push(performance.now() - t0);
    into.bytes += bytes;
  } catch {
    into.failures++;
  }
}
