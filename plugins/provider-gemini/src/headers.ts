import type { IncomingHttpHeaders } from 'node:http';
import { forwardableRequestHeaders } from '@cch/core';

/** The client's own Google Cloud billing project; the provider's credential brings its own. */
const CLIENT_ACCOUNT = ['x-goog-user-project'];

/** Client headers to forward to a Google upstream. */
export function googleHeaders(headers: IncomingHttpHeaders, withBody: boolean): Record<string, string> {
  const h = forwardableRequestHeaders(headers);
  for (const name of CLIENT_ACCOUNT) delete h[name];
  if (withBody) h['content-type'] = 'application/json';
  else delete h['content-type'];
  return h;
}
