/** Human names for the Monaco language ids that `languageForFileName` produces. */
const LABELS: Record<string, string> = {
  python: 'Python',
  javascript: 'JavaScript',
  typescript: 'TypeScript',
  java: 'Java',
  c: 'C',
  cpp: 'C++',
  csharp: 'C#',
  go: 'Go',
  rust: 'Rust',
  ruby: 'Ruby',
  php: 'PHP',
  kotlin: 'Kotlin',
  swift: 'Swift',
  html: 'HTML',
  css: 'CSS',
  scss: 'SCSS',
  json: 'JSON',
  markdown: 'Markdown',
  sql: 'SQL',
  shell: 'Shell',
  yaml: 'YAML',
  xml: 'XML',
  plaintext: 'Plain text',
};

export function languageLabel(language: string): string {
  return LABELS[language] ?? language;
}

/** Languages a teacher can pick for an assignment, in the order a class is likely to use them. */
export const ASSIGNMENT_LANGUAGES = ['python', 'java', 'javascript', 'typescript', 'cpp', 'c', 'csharp', 'go', 'rust', 'ruby', 'php', 'kotlin', 'swift', 'html', 'sql', 'plaintext'];
