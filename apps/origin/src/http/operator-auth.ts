import type { RequestHandler, Response } from 'express';
import type { OperatorKeys, OperatorScope } from '../auth/operator-keys.js';
import { sendError } from './respond.js';

/** The scopes of the operator key a request carried (none for an anonymous request). */
export function operatorScopes(res: Response): ReadonlySet<OperatorScope> {
  return (res.locals.operatorScopes as ReadonlySet<OperatorScope> | undefined) ?? new Set();
}

/** A refused request's body (an upload, say) is not read: close rather than drain it. */
function refuse(res: Response): void {
  if (res.req.method !== 'GET' && res.req.method !== 'HEAD') res.set('Connection', 'close');
}

function unauthorized(res: Response, message: string): void {
  refuse(res);
  res.set('WWW-Authenticate', 'Bearer realm="coral-origin"');
  sendError(res, 401, 'unauthorized', message);
}

/** 401 without a valid operator key, 403 when the key lacks `scope`. */
export function requireOperator(keys: OperatorKeys, scope: OperatorScope): RequestHandler {
  return (req, res, next) => {
    const check = keys.check(req.get('authorization'));
    if (!check.ok) {
      unauthorized(
        res,
        check.reason === 'missing'
          ? 'this endpoint needs an operator key: Authorization: Bearer <key>'
          : 'the operator key is not valid',
      );
      return;
    }
    if (!check.scopes.has(scope)) {
      refuse(res);
      sendError(res, 403, 'forbidden', `the operator key lacks the scope ${scope}`);
      return;
    }
    res.locals.operatorScopes = check.scopes;
    next();
  };
}

/** Public endpoints that show more to an operator: no key is fine, a wrong key is a 401. */
export function optionalOperator(keys: OperatorKeys): RequestHandler {
  return (req, res, next) => {
    const header = req.get('authorization');
    if (header === undefined) {
      next();
      return;
    }
    const check = keys.check(header);
    if (!check.ok) {
      unauthorized(res, 'the operator key is not valid');
      return;
    }
    res.locals.operatorScopes = check.scopes;
    next();
  };
}
