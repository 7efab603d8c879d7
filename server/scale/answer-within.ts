/**
 * While Redis is away node-redis queues commands until it is back. Callers that must not wait
 * that long (a grid push, a sign-in) race the command against a timer; the command may still run
 * later, so only idempotent or self-correcting writes may be raced.
 */
export async function answerWithin<T>(call: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`redis did not answer within ${ms} ms`)), ms);
  });
  call.catch(() => {}); // when the timer won, a late failure is nobody's business
  try {
    return await Promise.race([call, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
