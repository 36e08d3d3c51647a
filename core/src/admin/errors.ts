/** An error with an HTTP status the admin API turns into `{error:{message}}`. */
export class AdminHttpError extends Error {
  readonly expose: boolean;
  constructor(
    readonly status: number,
    message: string,
    /** Per-field messages (400), keyed like tsoa's: `body.limits.rpm`. */
    readonly fields?: { [field: string]: { message: string } },
  ) {
    super(message);
    this.name = 'AdminHttpError';
    this.expose = status < 500;
  }
}

export const UNAUTHENTICATED_MESSAGE = 'admin authentication required';
