/** Where the explicit light/dark choice is stored; absent means "follow the system". */
export const THEME_STORAGE_KEY = 'tandem.theme';

/**
 * Runs inline in <head> before first paint, so a dark-mode user never sees a white flash.
 * A plain string because it must not wait for any bundle (and this module has no 'use client',
 * so the server layout can import it as a value).
 */
export const THEME_BOOT_SCRIPT = `(function(){try{var t=localStorage.getItem('${THEME_STORAGE_KEY}');if(t!=='light'&&t!=='dark'){t=matchMedia('(prefers-color-scheme: dark)').matches?'dark':'light'}document.documentElement.dataset.theme=t}catch(e){document.documentElement.dataset.theme='light'}})();`;
