/** A command line that cannot run as written: reported with the usage text, without a stack trace. */
export class UsageError extends Error {}
