import pino from 'pino';

/**
 * Structured JSON logs. Student code never goes into a log line: log ids, sizes and codes only.
 */
export function createLogger(level: string): pino.Logger {
  return pino({ level, base: { service: 'tandem' }, timestamp: pino.stdTimeFunctions.isoTime });
}

export type Logger = pino.Logger;
