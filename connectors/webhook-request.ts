import type { IncomingMessage, ServerResponse } from 'node:http';

/** A webhook request's raw body (signatures are checked on these bytes), or 'too large' as soon as it passes `limit` bytes (without reading the rest). */
export function bodyWithin(request: IncomingMessage, limit: number): Promise<Buffer | 'too large' | 'aborted'> {
  if (Number(request.headers['content-length'] ?? 0) > limit) return Promise.resolve('too large');
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const stop = (outcome: Buffer | 'too large' | 'aborted') => {
      request.off('data', onData).off('end', onEnd).off('error', onAbort).off('close', onAbort);
      resolve(outcome);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) return stop('too large');
      chunks.push(chunk);
    };
    const onEnd = () => stop(Buffer.concat(chunks, size));
    // 'close' before 'end': the sender went away mid-body.
    const onAbort = () => stop('aborted');
    request.on('data', onData).on('end', onEnd).on('error', onAbort).on('close', onAbort);
  });
}

export function answer(response: ServerResponse, status: number, reason: string, headers: Record<string, string> = {}): void {
  response.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify({ error: reason }));
}
