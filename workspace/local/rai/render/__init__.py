"""HTML (inline SVG, inline script, no CDN) and PDF renderings of a dashboard and its score card."""
