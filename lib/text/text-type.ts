import { type as otText } from 'ot-text-unicode';

/** ot-text-unicode, registered on both ends (placeholder until the binding module lands). */
export const textType = otText;
