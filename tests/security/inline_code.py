"""Find what a strict Content Security Policy would block in an HTML page: inline scripts, styles and handlers."""

from __future__ import annotations

from html.parser import HTMLParser


class _InlineCodeFinder(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []
        self._in_script = False
        self._script_text: list[str] = []

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        for name, value in attrs:
            if name.startswith("on"):
                self.found.append(f"<{tag} {name}=...> event handler attribute")
            if name == "style" and value:
                self.found.append(f"<{tag} style={value!r}> inline style attribute")
            if name in ("href", "src", "action") and value and value.strip().lower().startswith("javascript:"):
                self.found.append(f"<{tag} {name}=javascript:...> URL")
        if tag == "style":
            self.found.append("<style> element")
        if tag == "script":
            kind = (attributes.get("type") or "text/javascript").lower()
            # JSON data blocks are not executed and are not subject to script-src.
            if "src" not in attributes and "json" not in kind:
                self._in_script = True
                self._script_text = []

    def handle_data(self, data):
        if self._in_script:
            self._script_text.append(data)

    def handle_endtag(self, tag):
        if tag == "script" and self._in_script:
            self._in_script = False
            self.found.append(f"inline <script>: {''.join(self._script_text).strip()[:80]!r}")


def inline_code(html: str) -> list[str]:
    """Everything in ``html`` that ``script-src 'self'; style-src 'self'`` would refuse to run or apply."""
    finder = _InlineCodeFinder()
    finder.feed(html)
    finder.close()
    return finder.found
