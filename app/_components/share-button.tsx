'use client';

import { useEffect, useState } from 'react';
import { CheckIcon, LinkIcon } from './icons';

/** Copy to the clipboard; false when the browser refused both ways. */
export async function copyText(text: string): Promise<boolean> {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    // Clipboard API refused (http on a LAN address, or permissions): the old way still works.
    const area = document.createElement('textarea');
    area.value = text;
    area.setAttribute('readonly', '');
    area.style.position = 'fixed';
    area.style.opacity = '0';
    document.body.appendChild(area);
    area.select();
    const ok = document.execCommand('copy');
    area.remove();
    return ok;
  }
}

/**
 * Copies the workspace's link. The link grants nothing by itself: only people with access to the
 * workspace (the pair, the class staff) can open it.
 */
export function ShareButton({ workspaceId }: { workspaceId: string }) {
  const [copied, setCopied] = useState<'yes' | 'failed' | null>(null);
  useEffect(() => {
    if (!copied) return;
    const timer = setTimeout(() => setCopied(null), 2200);
    return () => clearTimeout(timer);
  }, [copied]);
  const url = typeof window === 'undefined' ? '' : `${window.location.origin}/w/${workspaceId}`;
  return (
    <button
      type="button"
      className="btn"
      data-testid="share-button"
      data-url={url}
      title={`Copy link: ${url}`}
      onClick={async () => setCopied((await copyText(url)) ? 'yes' : 'failed')}
    >
      {copied === 'yes' ? <CheckIcon /> : <LinkIcon />}
      <span>{copied === 'yes' ? 'Link copied' : copied === 'failed' ? 'Copy failed' : 'Copy link'}</span>
      <span className="visually-hidden" role="status">
        {copied === 'yes' ? 'Link copied to the clipboard' : copied === 'failed' ? `Copy this link: ${url}` : ''}
      </span>
    </button>
  );
}
