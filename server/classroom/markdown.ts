import MarkdownIt from 'markdown-it';
import sanitizeHtml from 'sanitize-html';

// Raw HTML in the Markdown is escaped, not rendered; the sanitiser is a second wall in case a
// markdown-it rule ever emits something unexpected.
const md = new MarkdownIt({ html: false, linkify: true, breaks: false });

const ALLOWED = {
  allowedTags: [
    'p', 'br', 'hr', 'h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'blockquote', 'pre', 'code', 'em', 'strong', 's',
    'ul', 'ol', 'li', 'a', 'table', 'thead', 'tbody', 'tr', 'th', 'td', 'img',
  ],
  allowedAttributes: { a: ['href', 'title', 'rel', 'target'], img: ['src', 'alt', 'title'], code: ['class'], th: ['style'], td: ['style'] },
  allowedSchemes: ['http', 'https', 'mailto'],
  // Images only from our own origin (relative URLs) or data: none: a campus may have no egress,
  // and remote images would leak who reads the assignment.
  allowedSchemesByTag: { img: [] as string[] },
  allowProtocolRelative: false,
  allowedStyles: { '*': { 'text-align': [/^(left|right|center)$/] } },
  transformTags: { a: sanitizeHtml.simpleTransform('a', { rel: 'noopener noreferrer nofollow', target: '_blank' }) },
};

/** Assignment instructions: Markdown → HTML safe to put in the page (AS-2). */
export function renderInstructions(markdown: string): string {
  return sanitizeHtml(md.render(markdown), ALLOWED);
}
