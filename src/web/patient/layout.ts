import type { Response } from 'express';
import { TEXTS } from './texts';

/** Text made safe for HTML element content and attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c);
}

/** Where the pages' own files are served from (CSS, scripts, LHC-Forms). */
export const ASSETS_PATH = '/patient-assets';

/**
 * The pages' Content-Security-Policy: scripts and styles only from our origin, no inline
 * script, no plugins, no framing. `extraStyle` widens style-src for the form page, whose
 * form library sets style attributes at run time.
 */
export function contentSecurityPolicy(options: { inlineStyles?: boolean } = {}): string {
  return [
    "default-src 'self'",
    "script-src 'self'",
    `style-src 'self'${options.inlineStyles ? " 'unsafe-inline'" : ''}`,
    "img-src 'self' data:",
    "font-src 'self'",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join('; ');
}

export interface PageOptions {
  title: string;
  /** The page's main content, already HTML. */
  main: string;
  lang?: string;
  status?: number;
  /** Script files under ASSETS_PATH, loaded deferred. */
  scripts?: string[];
  /** Style sheets of a library under ASSETS_PATH (ours load after them, then the form overrides). */
  styles?: string[];
  inlineStyles?: boolean;
  /** Pages that show a patient's own data must not be kept by shared caches. */
  private?: boolean;
}

/** The page frame after the NHS.UK frontend's template: skip link, header, one main column, footer. */
export function renderPage(options: PageOptions): string {
  const styles = [...(options.styles ?? []), 'patient.css', ...(options.styles?.length ? ['patient-form.css'] : [])].map((s) => `<link rel="stylesheet" href="${ASSETS_PATH}/${escapeHtml(s)}">`).join('\n');
  const scripts = (options.scripts ?? []).map((s) => `<script src="${ASSETS_PATH}/${escapeHtml(s)}" defer></script>`).join('\n');
  return `<!DOCTYPE html>
<html lang="${escapeHtml(options.lang ?? 'en')}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<link rel="icon" href="data:,">
<title>${escapeHtml(options.title)} – ${escapeHtml(TEXTS.serviceName)}</title>
${styles}
${scripts}
</head>
<body>
<a class="skip-link" href="#main-content">${escapeHtml(TEXTS.skipLink)}</a>
<header class="site-header" role="banner"><div class="width-container"><a class="site-header__name" href="/education">${escapeHtml(TEXTS.serviceName)}</a></div></header>
<div class="width-container">
<main class="main-wrapper" id="main-content" tabindex="-1">
${options.main}
</main>
</div>
<footer class="site-footer" role="contentinfo"><div class="width-container"><p>${escapeHtml(TEXTS.serviceName)}</p></div></footer>
</body>
</html>
`;
}

/** Sends a page with the pages' headers (CSP, caching, no referrer). */
export function sendPage(res: Response, options: PageOptions): void {
  res.status(options.status ?? 200);
  res.setHeader('Content-Type', 'text/html; charset=utf-8');
  res.setHeader('Content-Security-Policy', contentSecurityPolicy({ inlineStyles: options.inlineStyles }));
  res.setHeader('Referrer-Policy', 'no-referrer');
  res.setHeader('Cache-Control', options.private ? 'no-store' : 'public, max-age=300');
  res.send(renderPage(options));
}

/** A short page with a heading and one or two paragraphs (not found, expired link, errors). */
export function messagePage(res: Response, status: number, title: string, paragraphs: string[], extra = ''): void {
  const main = `<h1>${escapeHtml(title)}</h1>\n${paragraphs.map((p) => `<p>${escapeHtml(p)}</p>`).join('\n')}${extra}`;
  sendPage(res, { title, main, status, private: true });
}
