/** Escaping for the text formats the reports are written in. */

const HTML_ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Text or attribute value in HTML, SVG or XML. Drops characters XML 1.0 forbids (most C0 controls, lone surrogates). */
export function escapeXml(text: string): string {
  return stripInvalidXmlChars(text).replace(/[&<>"']/g, (ch) => HTML_ENTITIES[ch]!);
}

export const escapeHtml = escapeXml;

export function stripInvalidXmlChars(text: string): string {
  // Allowed: #x9 | #xA | #xD | [#x20-#xD7FF] | [#xE000-#xFFFD] | [#x10000-#x10FFFF]; surrogate pairs are kept whole.
  return text.replace(
    // eslint-disable-next-line no-control-regex -- matching control characters is the point: XML 1.0 does not allow them
    /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g,
    '',
  );
}

/**
 * Text inside a GitHub-flavoured Markdown table cell or heading: no line breaks, no pipes that split the cell,
 * no HTML, no emphasis or links made by accident.
 */
export function escapeMarkdown(text: string): string {
  return stripInvalidXmlChars(text)
    .replace(/\r?\n|\r/g, ' ')
    .replace(/[&<>]/g, (ch) => HTML_ENTITIES[ch]!)
    .replace(/[\\`*_[\]|~#]/g, (ch) => `\\${ch}`);
}

/** An XML attribute value: as escapeXml, and line breaks and tabs kept as character references (not normalized to spaces). */
export function escapeXmlAttribute(text: string): string {
  return escapeXml(text).replace(/[\t\n\r]/g, (ch) => `&#${ch.charCodeAt(0)};`);
}
