import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { z } from 'zod';
import type { CameraSimulator, SimCamera } from './simulator.ts';

/**
 * The simulator's fault control API (JSON over HTTP, loopback only):
 *   GET    /cameras                    every camera: spec (no password), URLs, faults, sessions
 *   GET    /cameras/:id                one camera
 *   POST   /cameras/:id/faults         {refuse?, stall?, throttleBytesPerSec?, wrongCredentials?,
 *                                       clockSkewMs?, altResolution?, networkCut?, edgeRecording?,
 *                                       srClockUnset?,
 *                                       forMs?}  (forMs: undo after)
 *   POST   /cameras/:id/drop           cut every live session now
 *   DELETE /cameras/:id/faults         back to healthy ("come back")
 */
const faultBody = z.strictObject({
  refuse: z.boolean().optional(),
  stall: z.boolean().optional(),
  throttleBytesPerSec: z.number().int().positive().nullable().optional(),
  wrongCredentials: z.boolean().optional(),
  clockSkewMs: z.number().int().optional(),
  altResolution: z.boolean().optional(),
  networkCut: z.boolean().optional(),
  edgeRecording: z.boolean().optional(),
  srClockUnset: z.boolean().optional(),
  forMs: z.number().int().positive().optional(),
});

export function describeCamera(c: SimCamera) {
  return {
    id: c.spec.id,
    name: c.spec.name,
    video: c.spec.video,
    audio: c.spec.audio,
    username: c.spec.username,
    rtsp: { main: c.rtspUrl('main'), sub: c.rtspUrl('sub') },
    onvif: c.onvif.xaddr,
    faults: c.faults.get(),
    rtspSessions: c.rtsp.activeSessions(),
    stats: c.rtsp.stats(),
    // What the SD card holds (true clock, epoch ms), for cameras with edge storage.
    edge: c.edge ? { retentionMs: c.edge.retentionMs, recording: c.edge.recording, held: c.edge.held() } : null,
  };
}

export async function startControlApi(sim: CameraSimulator, opts: { host?: string; port?: number } = {}): Promise<{ server: Server; url: string; close(): Promise<void> }> {
  const server = createServer((req, res) => {
    handle(sim, req, res).catch((e: unknown) => send(res, 500, { error: (e as Error).message }));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, opts.host ?? '127.0.0.1', () => resolve());
  });
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  return {
    server,
    url: `http://${opts.host ?? '127.0.0.1'}:${port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

async function handle(sim: CameraSimulator, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://sim');
  const parts = url.pathname.split('/').filter(Boolean);
  if (parts[0] !== 'cameras') return send(res, 404, { error: 'unknown path; see GET /cameras' });
  if (parts.length === 1 && req.method === 'GET') return send(res, 200, sim.cameras.map(describeCamera));
  const cam = sim.cameras.find((c) => c.spec.id === parts[1]);
  if (!cam) return send(res, 404, { error: `no camera "${parts[1]}"` });
  if (parts.length === 2 && req.method === 'GET') return send(res, 200, describeCamera(cam));
  if (parts[2] === 'drop' && req.method === 'POST') {
    cam.faults.dropSessions();
    return send(res, 200, describeCamera(cam));
  }
  if (parts[2] === 'faults' && req.method === 'DELETE') {
    cam.faults.clear();
    return send(res, 200, describeCamera(cam));
  }
  if (parts[2] === 'faults' && req.method === 'POST') {
    const parsed = faultBody.safeParse(await readJson(req));
    if (!parsed.success) {
      return send(res, 400, { error: parsed.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; ') });
    }
    const { forMs, ...patch } = parsed.data;
    cam.faults.set(patch, forMs);
    return send(res, 200, describeCamera(cam));
  }
  send(res, 405, { error: `${req.method} not allowed here` });
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  let body = '';
  for await (const chunk of req) {
    body += String(chunk);
    if (body.length > 64 * 1024) throw new Error('body too large');
  }
  try {
    return body ? JSON.parse(body) : {};
  } catch {
    return Symbol('invalid json');
  }
}

function send(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}
