// vitest globalSetup of the integration project: the web console's build is current before any
// browser test opens it (a no-op when nothing under web/ changed; `npm test` ran it already).

import { buildWeb } from '../../support/web-build.js';

export default async function setup(): Promise<void> {
  await buildWeb({ log: (line) => console.log(line) });
}
