/** A user's mistake: printed as one line `graphc: <what>`, exit 1 (cli/errors.ts reports it). */
export class UserError extends Error {
  override name = 'UserError';
}
