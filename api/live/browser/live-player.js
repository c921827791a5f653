// Vigil live player for browsers: plays the live WebSocket (api/live/live-ws-handler.ts)
// through Media Source Extensions and acknowledges every piece it has appended, which is how
// the server knows this viewer's lag (recorder/live/delivery-policy.ts). Plain ES module,
// no build step; the web UI and the tests load it as it is.
//
//   const player = startLivePlayer(videoElement, 'wss://host/api/v1/cameras/cam-1/live', {
//     onState: (state, detail) => …,   // 'connecting' | 'playing' | 'waiting' | 'unsupported' | 'ended'
//     targetLatencyS: 0.1,             // how far behind the newest buffered frame to play
//   });
//   player.stop();
//
// Kept near the live edge: playing about targetLatencyS behind the newest frame, a little
// faster when further behind, and jumping when more than jumpAfterS behind or in a hole (after
// the server skipped this viewer ahead to a keyframe). Old media is removed from the buffer.

/**
 * @param {HTMLVideoElement} video
 * @param {string} url
 * @param {{ targetLatencyS?: number, jumpAfterS?: number, keepBehindS?: number,
 *           onState?: (state: string, detail?: unknown) => void,
 *           onFrame?: (info: { mediaTime: number, presentedAtMs: number }) => void }} [opts]
 */
export function startLivePlayer(video, url, opts = {}) {
  const targetLatencyS = opts.targetLatencyS ?? 0.1;
  const jumpAfterS = opts.jumpAfterS ?? 1.0;
  const keepBehindS = opts.keepBehindS ?? 10;
  const onState = opts.onState ?? (() => {});
  const stats = { received: 0, consumed: 0, appended: 0, streams: 0, jumps: 0, skippedNotices: 0, lastError: null };

  let ms = null; // MediaSource of the current stream
  let sb = null; // its SourceBuffer
  let queue = []; // pieces waiting for sb
  let stopped = false;
  let lastTrimS = 0;
  let removing = false;
  let frameCallback = 0;

  const ws = new WebSocket(url);
  ws.binaryType = 'arraybuffer';
  onState('connecting');

  const ack = () => {
    if (ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify({ type: 'ack', count: stats.consumed }));
  };

  ws.onmessage = (ev) => {
    if (typeof ev.data === 'string') return control(JSON.parse(ev.data));
    stats.received++;
    if (!sb && !ms) {
      // No stream to append to (unsupported codec, or before 'stream'): consumed unplayed.
      stats.consumed++;
      ack();
      return;
    }
    queue.push(ev.data);
    pump();
  };
  ws.onclose = (ev) => {
    onState('ended', { code: ev.code, reason: ev.reason });
    cleanup();
  };

  function control(msg) {
    if (msg.type === 'stream') return openStream(msg);
    if (msg.type === 'waiting') return onState('waiting', msg.reason);
    if (msg.type === 'skipped') stats.skippedNotices++;
  }

  function openStream(msg) {
    stats.streams++;
    // Pieces of the previous stream not appended yet are consumed unplayed.
    stats.consumed += queue.length;
    queue = [];
    ack();
    detach();
    if (!window.MediaSource || !MediaSource.isTypeSupported(msg.mime)) {
      onState('unsupported', `this browser cannot play ${msg.codec}`);
      return;
    }
    const source = new MediaSource();
    ms = source;
    video.src = URL.createObjectURL(source);
    source.addEventListener('sourceopen', () => {
      if (ms !== source) return;
      URL.revokeObjectURL(video.src);
      try {
        sb = source.addSourceBuffer(msg.mime);
      } catch (e) {
        stats.lastError = String(e);
        onState('unsupported', String(e));
        return;
      }
      sb.mode = 'segments';
      sb.addEventListener('updateend', () => {
        if (removing) {
          removing = false;
          return pump();
        }
        stats.appended++;
        stats.consumed++;
        ack();
        followLiveEdge();
        pump();
      });
      sb.addEventListener('error', () => (stats.lastError = 'append failed'));
      pump();
    }, { once: true });
    video.muted = true;
    video.play().catch(() => {});
    watchFrames();
  }

  function pump() {
    if (!sb || sb.updating || !queue.length || !ms || ms.readyState !== 'open') return;
    const now = video.currentTime;
    if (now - lastTrimS > keepBehindS && sb.buffered.length && sb.buffered.start(0) < now - keepBehindS) {
      lastTrimS = now;
      removing = true;
      sb.remove(0, now - keepBehindS);
      return;
    }
    const piece = queue.shift();
    try {
      sb.appendBuffer(piece);
    } catch (e) {
      stats.lastError = String(e);
      stats.consumed++;
      ack();
    }
  }

  function followLiveEdge() {
    const b = video.buffered;
    if (!b.length) return;
    const end = b.end(b.length - 1);
    const t = video.currentTime;
    let inRange = false;
    for (let i = 0; i < b.length; i++) if (t >= b.start(i) && t <= b.end(i)) inRange = true;
    if (!inRange || end - t > jumpAfterS) {
      const start = b.start(b.length - 1);
      video.currentTime = Math.max(start, end - targetLatencyS);
      stats.jumps++;
      video.playbackRate = 1;
    } else {
      // Behind the target: play a little faster (at most +25 %) until back at it.
      const over = end - t - targetLatencyS;
      video.playbackRate = over > 0.04 ? 1 + Math.min(0.25, over) : 1;
    }
    if (video.paused) video.play().catch(() => {});
    onState('playing');
  }

  function watchFrames() {
    if (!opts.onFrame || !video.requestVideoFrameCallback || frameCallback) return;
    const onFrame = (_now, meta) => {
      if (stopped) return;
      // expectedDisplayTime is on the performance clock; as epoch ms for comparing with the server.
      opts.onFrame({ mediaTime: meta.mediaTime, presentedAtMs: performance.timeOrigin + meta.expectedDisplayTime });
      frameCallback = video.requestVideoFrameCallback(onFrame);
    };
    frameCallback = video.requestVideoFrameCallback(onFrame);
  }

  function detach() {
    sb = null;
    if (ms && ms.readyState === 'open') {
      try {
        ms.endOfStream();
      } catch {
        /* already closing */
      }
    }
    ms = null;
  }

  function cleanup() {
    stopped = true;
    detach();
  }

  return {
    stats,
    stop() {
      cleanup();
      ws.close(1000);
    },
  };
}
