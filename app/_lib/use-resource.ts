'use client';

import { useCallback, useEffect, useRef, useState } from 'react';
import { ApiError } from './api';

export interface Resource<T> {
  /** The last successful answer; kept while a reload is in flight so lists do not flicker. */
  data: T | null;
  error: ApiError | null;
  loading: boolean;
  /** Fetch again (after a live event said something changed). */
  reload: () => void;
}

/**
 * One API read, re-run when `key` changes (the old data is dropped: it is about something else),
 * when `version` changes or when `reload()` is called (the old data stays until the new arrives).
 * Answers that arrive after a newer request started are dropped, so a slow early answer never
 * overwrites a fresh one. A null `load` fetches nothing.
 */
export function useResource<T>(load: (() => Promise<T>) | null, key: string, version = 0): Resource<T> {
  const [data, setData] = useState<T | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const [loading, setLoading] = useState(load !== null);
  const [tick, setTick] = useState(0);
  const loadRef = useRef(load);
  loadRef.current = load;
  const latest = useRef(0);

  useEffect(() => {
    setData(null);
    setError(null);
  }, [key]);

  useEffect(() => {
    const fn = loadRef.current;
    if (!fn) return;
    const id = ++latest.current;
    setLoading(true);
    fn().then(
      (value) => {
        if (id !== latest.current) return;
        setData(value);
        setError(null);
        setLoading(false);
      },
      (err: unknown) => {
        if (id !== latest.current) return;
        setError(err instanceof ApiError ? err : new ApiError('Something went wrong. Please try again.', 0, 'UNKNOWN'));
        setLoading(false);
      },
    );
  }, [key, version, tick, load === null]);

  const reload = useCallback(() => setTick((t) => t + 1), []);
  return { data, error, loading, reload };
}
