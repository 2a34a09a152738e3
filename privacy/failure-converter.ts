import { DefaultFailureConverter } from '@temporalio/common';

/**
 * Failure messages and stack traces go into the history like payloads, so they are encoded (and so encrypted) too:
 * a message may quote what a vendor or a file said. Loaded by path, in workflows and outside them.
 */
export const failureConverter = new DefaultFailureConverter({ encodeCommonAttributes: true });
