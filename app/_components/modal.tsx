'use client';

import { useEffect, useRef, type ReactNode } from 'react';

/**
 * A native <dialog> opened with showModal(): focus trapping, Escape and the backdrop come from
 * the browser. `onCancel` runs on Escape; omit it to make the dialog impossible to dismiss.
 */
export function Modal({
  open,
  labelledBy,
  onCancel,
  children,
  testId,
}: {
  open: boolean;
  labelledBy: string;
  onCancel?: () => void;
  children: ReactNode;
  testId?: string;
}) {
  const ref = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    const dialog = ref.current;
    if (!dialog) return;
    if (open && !dialog.open) dialog.showModal();
    if (!open && dialog.open) dialog.close();
  }, [open]);
  return (
    <dialog
      ref={ref}
      className="modal"
      aria-labelledby={labelledBy}
      data-testid={testId}
      onCancel={(e) => {
        e.preventDefault();
        onCancel?.();
      }}
    >
      {open && children}
    </dialog>
  );
}
