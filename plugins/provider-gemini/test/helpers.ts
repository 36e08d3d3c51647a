import { readFileSync } from 'node:fs';

export { createReplayUpstream, everySplit, parseSse, testHubKey as hubKey, waitForRequestLog as waitForLog } from '@cch/core/testing';
export type { Replay, ReplayRequest, ReplayUpstream } from '@cch/core/testing';

/** A fixture file of this plugin's test/fixtures, as bytes. */
export function fixture(name: string): Buffer {
  return readFileSync(new URL(`./fixtures/${name}`, import.meta.url));
}
