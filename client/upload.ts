import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { Readable } from 'node:stream';
import { InfergateClientError } from './errors';
import { apiErrorFromResponse, networkError } from './responses';
import type { ArtifactSource, UploadProgressListener } from './types';

/**
 * The byte-moving half of an artifact upload: a streaming `PUT` to a presigned URL.
 *
 * It uses `node:http(s)` rather than `fetch` because S3 rejects chunked uploads: the
 * request needs an exact `content-length`, and progress must follow what is written to
 * the socket. The URL carries its own signature, so no `Authorization` header is sent.
 */

const CHUNK_BYTES = 64 * 1024;

/** An artifact ready to stream: its size and a way to open a fresh stream of its bytes. */
export interface ArtifactBody {
  readonly size: number;
  open(): Readable;
}

/** Sizes a file or wraps bytes; rejects sources that are missing, not files, or empty. */
export async function artifactBody(source: ArtifactSource): Promise<ArtifactBody> {
  if (typeof source !== 'string') {
    if (source.byteLength === 0) throw new InfergateClientError('empty_artifact', 'the artifact is empty');
    return { size: source.byteLength, open: () => Readable.from(chunks(source)) };
  }
  const info = await stat(source).catch((cause: unknown) => {
    throw new InfergateClientError('file_not_found', `cannot read artifact file ${source}`, { cause });
  });
  if (!info.isFile())
    throw new InfergateClientError('not_a_file', `artifact ${source} is not a regular file`);
  if (info.size === 0) throw new InfergateClientError('empty_artifact', `artifact file ${source} is empty`);
  // Read exactly the size announced in content-length, even if the file grows meanwhile.
  return { size: info.size, open: () => createReadStream(source, { start: 0, end: info.size - 1 }) };
}

function* chunks(bytes: Uint8Array): Generator<Uint8Array> {
  for (let offset = 0; offset < bytes.byteLength; offset += CHUNK_BYTES) {
    yield bytes.subarray(offset, Math.min(offset + CHUNK_BYTES, bytes.byteLength));
  }
}

function readText(response: IncomingMessage): Promise<string> {
  return new Promise((resolve) => {
    const parts: Buffer[] = [];
    response.on('data', (part: Buffer) => parts.push(part));
    response.on('end', () => resolve(Buffer.concat(parts).toString('utf8')));
    response.on('error', () => resolve(Buffer.concat(parts).toString('utf8')));
  });
}

/**
 * Streams `body` to `url` with `PUT`, reporting progress, and resolves once the store
 * answers 2xx. `idleTimeoutMs` bounds how long the connection may stay silent.
 */
export function putArtifact(
  url: URL,
  body: ArtifactBody,
  idleTimeoutMs: number,
  onProgress?: UploadProgressListener,
): Promise<void> {
  const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise<void>((resolve, reject) => {
    let settled = false;
    const stream = body.open();
    const request = send(url, {
      method: 'PUT',
      headers: { 'content-length': String(body.size), 'content-type': 'application/octet-stream' },
    });
    const fail = (error: Error): void => {
      if (settled) return;
      settled = true;
      stream.destroy();
      request.destroy();
      reject(error);
    };

    request.setTimeout(idleTimeoutMs, () => {
      const timeout = new Error(`upload stalled for ${idleTimeoutMs} ms`);
      timeout.name = 'TimeoutError';
      fail(networkError(url, timeout, idleTimeoutMs));
    });
    request.on('error', (error) => fail(networkError(url, error, idleTimeoutMs)));
    request.on('response', (response) => {
      void readText(response).then((text) => {
        const status = response.statusCode ?? 0;
        if (status >= 200 && status < 300) {
          if (settled) return;
          settled = true;
          resolve();
          return;
        }
        fail(apiErrorFromResponse(status, text, (name) => headerValue(response, name)));
      });
    });

    let sent = 0;
    onProgress?.({ sentBytes: 0, totalBytes: body.size });
    stream.on('data', (chunk: Buffer | Uint8Array) => {
      sent += chunk.byteLength;
      onProgress?.({ sentBytes: sent, totalBytes: body.size });
    });
    stream.on('error', (cause) =>
      fail(
        new InfergateClientError('artifact_read_failed', `cannot read the artifact: ${cause.message}`, {
          cause,
        }),
      ),
    );
    stream.pipe(request);
  });
}

function headerValue(response: IncomingMessage, name: string): string | undefined {
  const value = response.headers[name];
  return Array.isArray(value) ? value[0] : value;
}
