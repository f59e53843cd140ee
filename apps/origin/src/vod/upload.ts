import { createWriteStream } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import { join } from 'node:path';
import busboy from 'busboy';
import { badRequest, OriginError } from '../errors.js';
import { randomToken, unlinkQuietly } from '../fs-util.js';

export interface ReceivedUpload {
  readonly fields: ReadonlyMap<string, string>;
  readonly file: {
    readonly partPath: string;
    readonly sizeBytes: number;
    readonly filename: string;
  };
}

export interface ReceiveOptions {
  readonly uploadsDir: string;
  readonly maxBytes: number;
  /** Called for each text field as it arrives: an error stops the upload being stored. */
  readonly checkField?: (name: string, value: string) => OriginError | null;
  readonly onBytes?: (count: number) => void;
}

/** Room for the multipart framing and text fields around the file. */
const MULTIPART_SLACK_BYTES = 1024 * 1024;

export function declaredTooLarge(req: IncomingMessage, maxBytes: number): boolean {
  const declared = Number(req.headers['content-length'] ?? Number.NaN);
  return declared > maxBytes + MULTIPART_SLACK_BYTES;
}

export const tooLarge = (maxBytes: number) =>
  new OriginError(
    'upload_too_large',
    `the upload is larger than the limit of ${maxBytes} bytes`,
    413,
  );

/**
 * Stream a multipart upload's `file` field to uploads/.part-<random> (text fields may come
 * before or after it). Rejects with a 4xx OriginError naming the problem, and then nothing
 * of the upload is left on disk.
 */
export function receiveUpload(
  req: IncomingMessage,
  options: ReceiveOptions,
): Promise<ReceivedUpload> {
  return new Promise((resolve, reject) => {
    const contentType = req.headers['content-type'] ?? '';
    if (!/^multipart\/form-data/i.test(contentType)) {
      reject(
        new OriginError(
          'not_multipart',
          'send the video as multipart/form-data, in the field "file"',
          415,
        ),
      );
      req.resume();
      return;
    }
    // A body announced beyond the limit is refused before a byte of it is stored (Node then
    // discards the body, so that clients which send it all before reading still get the 413).
    if (declaredTooLarge(req, options.maxBytes)) {
      reject(tooLarge(options.maxBytes));
      return;
    }
    let parser: busboy.Busboy;
    try {
      parser = busboy({
        headers: req.headers,
        limits: { files: 1, fields: 16, parts: 20, fieldSize: 4096, fileSize: options.maxBytes },
      });
    } catch (error) {
      reject(
        badRequest('bad_multipart', `malformed multipart request: ${(error as Error).message}`),
      );
      req.resume();
      return;
    }
    const fields = new Map<string, string>();
    let file: { partPath: string; sizeBytes: number; filename: string } | null = null;
    let fileWritten: Promise<void> = Promise.resolve();
    let output: ReturnType<typeof createWriteStream> | null = null;
    let failure: OriginError | null = null;
    let finished = false;
    const fail = (error: OriginError) => {
      failure ??= error;
    };

    const finish = () => {
      if (finished) return;
      finished = true;
      void fileWritten.then(async () => {
        if (!failure && !file) fail(badRequest('missing_file', 'no file in the field "file"'));
        if (!failure && file && file.sizeBytes === 0)
          fail(badRequest('empty_upload', 'the file is empty (0 bytes)'));
        if (failure) {
          if (file) await unlinkQuietly(file.partPath);
          reject(failure);
        } else {
          resolve({ fields, file: file! });
        }
      });
    };

    parser.on('field', (name, value, info) => {
      if (info.valueTruncated)
        fail(badRequest('field_too_long', `the field "${name}" is too long`));
      fields.set(name, value);
      const problem = options.checkField?.(name, value);
      if (problem) fail(problem);
    });
    parser.on('file', (name, stream, info) => {
      if (name !== 'file') {
        fail(
          badRequest('unexpected_file', `unexpected file field "${name}": send the file in "file"`),
        );
      }
      if (failure || file) {
        stream.resume();
        return;
      }
      const partPath = join(options.uploadsDir, `.part-${randomToken()}`);
      const current = { partPath, sizeBytes: 0, filename: info.filename ?? '' };
      file = current;
      const out = createWriteStream(partPath, { flags: 'wx' });
      output = out;
      fileWritten = new Promise((done) => out.once('close', () => done()));
      out.on('error', (error) => {
        fail(
          new OriginError('storage_failed', `could not store the upload: ${error.message}`, 500),
        );
        stream.unpipe(out);
        stream.resume();
      });
      // A body that ends inside the file part errors this stream as well as the parser: without
      // this listener that error would end the process.
      stream.on('error', (error: Error) => {
        fail(badRequest('bad_multipart', `malformed multipart body: ${error.message}`));
        stream.unpipe(out);
        out.destroy();
      });
      stream.on('data', (chunk: Buffer) => {
        current.sizeBytes += chunk.byteLength;
        options.onBytes?.(chunk.byteLength);
      });
      stream.on('limit', () => {
        fail(tooLarge(options.maxBytes));
        stream.unpipe(out);
        out.end();
        stream.resume();
      });
      stream.pipe(out);
    });
    parser.on('filesLimit', () => fail(badRequest('too_many_files', 'send exactly one file')));
    parser.on('fieldsLimit', () => fail(badRequest('too_many_fields', 'too many form fields')));
    parser.on('partsLimit', () => fail(badRequest('too_many_parts', 'too many form parts')));
    parser.on('error', (error: Error) => {
      fail(badRequest('bad_multipart', `malformed multipart body: ${error.message}`));
      req.unpipe(parser);
      req.resume();
      finish();
    });
    parser.on('close', finish);
    req.on('close', () => {
      if (!req.complete) {
        fail(badRequest('upload_aborted', 'the client stopped sending before the upload ended'));
        output?.destroy();
        finish();
      }
    });
    req.pipe(parser);
  });
}
