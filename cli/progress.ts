import { SingleBar } from 'cli-progress';
import type { UploadProgressListener } from '../client';
import { formatBytes } from './format';
import type { CliIo } from './io';

/** Uploads smaller than this finish too fast for a bar to help. */
export const PROGRESS_MIN_BYTES = 1024 * 1024;

/** A progress display for one upload; `stop` must be called when the upload ends. */
export interface UploadProgressDisplay {
  readonly listener?: UploadProgressListener;
  stop(): void;
}

/**
 * A progress bar on standard error for uploads over 1 MB when standard error is a
 * terminal; nothing otherwise, so scripts and `--json` pipelines stay quiet.
 */
export function uploadProgress(io: CliIo, totalBytes: number): UploadProgressDisplay {
  const stream = io.progressStream;
  if (stream === undefined || totalBytes <= PROGRESS_MIN_BYTES) return { stop: () => undefined };
  const bar = new SingleBar({
    stream,
    format: 'uploading [{bar}] {percentage}% | {sent} / {size} | ETA {eta_formatted}',
    barCompleteChar: '=',
    barIncompleteChar: '-',
    hideCursor: true,
    clearOnComplete: false,
  });
  bar.start(totalBytes, 0, { sent: formatBytes(0), size: formatBytes(totalBytes) });
  return {
    listener: ({ sentBytes }) => bar.update(sentBytes, { sent: formatBytes(sentBytes) }),
    stop: () => bar.stop(),
  };
}
