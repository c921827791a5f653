import { execFile } from 'node:child_process';

/** ffprobe's view of a media file: streams (codec, size) and duration. */
export interface ProbeResult {
  streams: Array<{ codec_type: string; codec_name: string; width?: number; height?: number; sample_rate?: string }>;
  format: { duration?: string };
}

export function ffprobe(file: string): Promise<ProbeResult> {
  return new Promise((resolve, reject) => {
    execFile('ffprobe', ['-v', 'error', '-show_entries', 'stream=codec_type,codec_name,width,height,sample_rate:format=duration', '-of', 'json', file], (err, stdout, stderr) => {
      if (err) reject(new Error(`ffprobe ${file}: ${stderr || err.message}`));
      else resolve(JSON.parse(stdout) as ProbeResult);
    });
  });
}
