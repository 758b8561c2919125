/**
 * The frame of every document this folder prints as HTML: a self-contained French page (no external
 * resource, its style inline) around what the report says, and the one escape of text put in it.
 */

const ESCAPES: Readonly<Record<string, string>> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Text as HTML or SVG character data or attribute value. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c]!);
}

/** The whole page: `body` is HTML already built (its texts escaped), `title` and `style` are put as they are meant. */
export function htmlDocument(opts: { title: string; style: string; body: string }): string {
  return `<!DOCTYPE html>
<html lang="fr">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(opts.title)}</title>
<style>${opts.style}</style>
</head>
<body>
${opts.body}
</body>
</html>
`;
}
