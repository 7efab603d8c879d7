'use client';

import { useSyncExternalStore } from 'react';
import { THEME_STORAGE_KEY } from './theme-boot';

/** Light or dark. With no stored choice the page follows the system's `prefers-color-scheme`. */
export type Theme = 'light' | 'dark';

const STORAGE_KEY = THEME_STORAGE_KEY;
const CHANGE_EVENT = 'tandem:theme';

function storedTheme(): Theme | null {
  try {
    const value = localStorage.getItem(STORAGE_KEY);
    return value === 'light' || value === 'dark' ? value : null;
  } catch {
    return null;
  }
}

function systemTheme(): Theme {
  return window.matchMedia('(prefers-color-scheme: dark)').matches ? 'dark' : 'light';
}

function readTheme(): Theme {
  const current = document.documentElement.dataset.theme;
  return current === 'dark' || current === 'light' ? current : (storedTheme() ?? systemTheme());
}

function apply(theme: Theme): void {
  document.documentElement.dataset.theme = theme;
  window.dispatchEvent(new Event(CHANGE_EVENT));
}

/** Remember an explicit choice; it then wins over the system setting. */
export function setTheme(theme: Theme): void {
  try {
    localStorage.setItem(STORAGE_KEY, theme);
  } catch {
    // Not persisted; still applied for this tab.
  }
  apply(theme);
}

function subscribe(onChange: () => void): () => void {
  const media = window.matchMedia('(prefers-color-scheme: dark)');
  const onSystem = () => {
    if (storedTheme() === null) apply(systemTheme());
  };
  const onStorage = (e: StorageEvent) => {
    if (e.key === STORAGE_KEY) apply(storedTheme() ?? systemTheme());
  };
  media.addEventListener('change', onSystem);
  window.addEventListener('storage', onStorage);
  window.addEventListener(CHANGE_EVENT, onChange);
  return () => {
    media.removeEventListener('change', onSystem);
    window.removeEventListener('storage', onStorage);
    window.removeEventListener(CHANGE_EVENT, onChange);
  };
}

/** The current theme; re-renders on toggles, other tabs' toggles and system changes. */
export function useTheme(): Theme {
  return useSyncExternalStore(subscribe, readTheme, () => 'light');
}
