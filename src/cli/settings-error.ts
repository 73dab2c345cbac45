/** A mistake in the flags or the environment: reported without a stack, exit code 2. */
export class UsageError extends Error {}
