export type ErrorCode =
  | 'CONFIG_INVALID'
  | 'INVALID_REQUEST'
  | 'UNAUTHENTICATED'
  | 'FORBIDDEN'
  | 'EVENT_NOT_FOUND'
  | 'EVENT_EXISTS'
  | 'EVENT_STARTED'
  | 'NOT_IN_QUEUE'
  | 'NO_QUEUE'
  | 'QUEUE_NOT_OPEN'
  | 'PAYLOAD_TOO_LARGE'
  | 'RATE_LIMITED'
  | 'GATE_UNAVAILABLE'
  | 'REDIS_EVICTS_KEYS'
  | 'DB_UNAVAILABLE'
  | 'DB_MIGRATION_FAILED'
  | 'DB_QUERY_FAILED'
  | 'AUTH_UNAVAILABLE'
  | 'GATE_BAD_REPLY'
  | 'KAFKA_PUBLISH_FAILED'
  | 'KAFKA_REFUSED'
  | 'DB_WRITE_FAILED'
  | 'PROCESS_START_FAILED';

export interface AppErrorOptions {
  retryable?: boolean;
  cause?: unknown;
  /** When the client may try again (Retry-After), where the thrower knows better than its status's default. */
  retryAfterSeconds?: number;
}

/** A failure worth a typed code; api/http-errors.ts is the one place that maps codes to HTTP. */
export class AppError extends Error {
  override readonly name = 'AppError';
  readonly code: ErrorCode;
  readonly retryable: boolean;
  readonly retryAfterSeconds: number | undefined;

  constructor(code: ErrorCode, message: string, options: AppErrorOptions = {}) {
    super(message, { cause: options.cause });
    this.code = code;
    this.retryable = options.retryable ?? false;
    this.retryAfterSeconds = options.retryAfterSeconds;
  }
}

export const isAppError = (error: unknown, code?: ErrorCode): error is AppError =>
  error instanceof AppError && (code === undefined || error.code === code);
