/**
 * A request the caller got wrong: the message names the parameter. Its own module so the HTTP layer (which serves the
 * page before any view is computed) does not load the views and their dependencies to recognise it.
 */
export class DashboardQueryError extends Error {
  override name = 'DashboardQueryError';
  constructor(
    message: string,
    readonly status: 400 | 404 = 400,
  ) {
    super(message);
  }
}
