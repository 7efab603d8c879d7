'use client';

import { setTheme, useTheme } from '../_lib/theme';
import { MoonIcon, SunIcon } from './icons';

/** One button: switches light ↔ dark and remembers the choice. */
export function ThemeToggle() {
  const theme = useTheme();
  const next = theme === 'dark' ? 'light' : 'dark';
  return (
    <button
      type="button"
      className="icon-btn"
      data-testid="theme-toggle"
      aria-label={`Switch to ${next} theme`}
      title={`Switch to ${next} theme`}
      onClick={() => setTheme(next)}
    >
      {/* Both icons render; CSS picks one from data-theme, so there is no flash before hydration. */}
      <SunIcon className="theme-icon-sun" />
      <MoonIcon className="theme-icon-moon" />
    </button>
  );
}
