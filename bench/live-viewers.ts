import { LiveViewerClient } from '../test/integration/live-viewer-client.ts';

/**
 * N live viewers in their own process (so their CPU is not counted with the recorder's):
 *   node --import tsx bench/live-viewers.ts <ws url> <count>
 * Prints "ready" once all are open; on SIGINT prints one JSON line of totals and exits.
 */
const [url, countText] = process.argv.slice(2);
const count = Number(countText);
const viewers = Array.from({ length: count }, () => new LiveViewerClient(url!));
await Promise.all(viewers.map((v) => v.opened()));
console.log('ready');
process.once('SIGINT', () => {
  const bytes = viewers.reduce((n, v) => n + v.fragments.reduce((m, f) => m + f.bytes, 0), 0);
  const skipped = viewers.reduce((n, v) => n + v.controls.filter((c) => c.type === 'skipped').length, 0);
  const closed = viewers.filter((v) => v.closed).length;
  console.log(JSON.stringify({ viewers: count, bytes, skipped, closed, mediaS: viewers.map((v) => v.mediaSpanS()) }));
  for (const v of viewers) v.close();
  setTimeout(() => process.exit(0), 200);
});
