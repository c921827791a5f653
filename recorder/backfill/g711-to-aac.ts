import { spawn } from 'node:child_process';
import { VigilError } from '../../src/errors.ts';
import { parseAdts, type AacConfig } from './aac-config.ts';

/**
 * G.711 samples → AAC, by ffmpeg on the audio only, with the live recording's encoder settings
 * (recorder/ffmpeg-args.ts transcode_aac: aac, 32 kbit/s, mono, the input's 8 kHz): raw A-law
 * or µ-law on stdin, ADTS on stdout, split into raw access units (the first is the encoder's
 * priming frame). Fails with a VigilError in plain words.
 */
export async function encodeG711ToAac(samples: Buffer, o: { encoding: 'PCMA' | 'PCMU'; sampleRate: number; ffmpegPath: string; signal?: AbortSignal }): Promise<{ config: AacConfig; frames: Buffer[] }> {
  const args = ['-hide_banner', '-nostdin', '-loglevel', 'error', '-f', o.encoding === 'PCMA' ? 'alaw' : 'mulaw', '-ar', String(o.sampleRate), '-ac', '1', '-i', 'pipe:0', '-c:a', 'aac', '-b:a', '32k', '-ac', '1', '-f', 'adts', 'pipe:1'];
  const out: Buffer[] = [];
  let err = '';
  const code = await new Promise<number | string>((resolve) => {
    const p = spawn(o.ffmpegPath, args, { stdio: ['pipe', 'pipe', 'pipe'], ...(o.signal ? { signal: o.signal } : {}) });
    p.stdout.on('data', (b: Buffer) => out.push(b));
    p.stderr.on('data', (b: Buffer) => (err = (err + b.toString('utf8')).slice(-500)));
    p.on('error', (e) => resolve(e.message));
    p.on('close', (c) => resolve(c ?? -1));
    p.stdin.on('error', () => undefined);
    p.stdin.end(samples);
  });
  if (code !== 0) throw new VigilError('internal', `ffmpeg could not turn the camera's G.711 audio into AAC (${typeof code === 'number' ? `exit ${code}` : code}${err.trim() ? `: ${err.trim()}` : ''}).`);
  const { config, frames } = parseAdts(Buffer.concat(out));
  if (!config || frames.length < 2) throw new VigilError('internal', `ffmpeg gave no AAC for the camera's G.711 audio (${frames.length} frame(s)).`);
  return { config, frames };
}
