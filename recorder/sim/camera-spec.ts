/** What one simulated camera is: identity, credentials and the kind of streams it sends. */
export type VideoKind = 'h264' | 'h264-bframes' | 'h265';
export type AudioKind = 'pcma' | 'aac' | 'none';
export type StreamName = 'main' | 'sub';

export interface SimCameraSpec {
  /** Stable id, e.g. 'cam-1'. Also the RTSP path prefix is not used: paths are /main and /sub. */
  id: string;
  /** Human name reported by ONVIF GetDeviceInformation / WS-Discovery scopes. */
  name: string;
  username: string;
  password: string;
  video: VideoKind;
  audio: AudioKind;
  /**
   * Edge storage (an SD card): the camera records its main stream from the simulator's start,
   * keeping the last retentionMs, and answers ONVIF Profile G (search, replay). Absent = none.
   */
  edge?: { retentionMs: number };
}

export function defaultSpec(index: number, overrides: Partial<SimCameraSpec> = {}): SimCameraSpec {
  const kinds: VideoKind[] = ['h264', 'h264-bframes', 'h265'];
  const audios: AudioKind[] = ['pcma', 'aac', 'none'];
  return {
    id: `cam-${index + 1}`,
    name: `Quầy số ${index + 1}`,
    username: 'admin',
    password: `sim-pass-${index + 1}`,
    video: kinds[index % kinds.length]!,
    audio: audios[index % audios.length]!,
    ...overrides,
  };
}
