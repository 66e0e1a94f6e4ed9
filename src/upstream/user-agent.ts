import { VERSION } from '../version.ts';

/** What the gateway calls itself upstream, so the cloud's logs can tell its calls apart. */
export const USER_AGENT = `rescind/${VERSION}`;
