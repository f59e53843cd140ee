import type { Response } from 'express';

/** Every API error: `{ error: <code>, message: <what is wrong> }`, never cached. */
export function sendError(res: Response, status: number, code: string, message: string): void {
  res.status(status).set('Cache-Control', 'no-store').json({ error: code, message });
}
