"""What a persona would notice on a page, measured in the browser.

Each check returns a list of problems (strings, empty when the page is fine) so that a walk
over many pages reports every problem at once instead of stopping at the first.
"""

from __future__ import annotations

import re
from pathlib import Path

AXE = Path(__file__).resolve().parent / "vendor" / "axe-core" / "axe.min.js"

# Latin words a Chinese user reads as Chinese: product names and units they know.
ALLOWED_LATIN = {
    *("Excel", "WPS", "Word", "PDF", "JPG", "PNG", "CSV", "xlsx"),  # file kinds people know
    *("MB", "KB", "ID", "QQ", "App", "APP", "Ctrl"),
}
# Internal codes and program values that must never reach a screen.
CODE_PATTERNS = [
    re.compile(r"\b[a-z]+(?:[-_][a-z0-9]+)*-20\d\d\b"),  # tianmen-2025, basic-list-2025
    re.compile(r"\b(?:None|True|False|null|undefined|nan)\b"),
    re.compile(r"\b[a-z]+_[a-z_]+\b"),  # field or choice names: not_migrant, school_staff
]


def overflow(page, *, phone: bool = True) -> list[str]:
    """Anything wider than the screen: the page itself, and on a phone a table scrolling
    sideways (it should have become cards). A desk may scroll a wide matrix in its box."""
    result = page.evaluate(
        """(phone) => {
          const width = window.innerWidth;
          const problems = [];
          if (document.documentElement.scrollWidth > width + 1)
            problems.push(`page is ${document.documentElement.scrollWidth}px wide on a ${width}px screen`);
          if (!phone) return problems;
          for (const box of document.querySelectorAll('main .table-responsive, main .overflow-auto')) {
            if (box.offsetParent !== null && box.scrollWidth > box.clientWidth + 1)
              problems.push(`a box scrolls sideways (${box.scrollWidth}px in ${box.clientWidth}px): ${box.innerText.slice(0, 40)}`);
          }
          return problems;
        }""",
        phone,
    )
    return list(result)


def nav_on_one_line(page) -> list[str]:
    """At desk widths the menu bar is one row of entries, each on one line."""
    result = page.evaluate(
        """() => {
          const problems = [];
          const bar = document.querySelector('header .navbar');
          if (!bar) return ['no menu bar'];
          if (bar.offsetHeight > 72) problems.push(`menu bar is ${bar.offsetHeight}px tall`);
          const entries = [...bar.querySelectorAll('#mainnav .navbar-nav > li > .nav-link, #mainnav .navbar-nav > li > button')]
            .filter(e => e.offsetParent !== null);
          const tops = new Set(entries.map(e => Math.round(e.getBoundingClientRect().top)));
          if (tops.size > 1) problems.push(`menu entries on ${tops.size} rows`);
          for (const e of entries) if (e.offsetHeight > 52) problems.push(`menu entry 「${e.innerText}」 wraps`);
          const right = Math.max(...[...bar.querySelectorAll('a, button')].filter(e => e.offsetParent !== null)
            .map(e => e.getBoundingClientRect().right));
          if (right > window.innerWidth + 1) problems.push('menu bar runs off the screen');
          return problems;
        }"""
    )
    return list(result)


def visible_text(page) -> str:
    return page.evaluate("() => document.body.innerText")


def english_and_codes(page) -> list[str]:
    """Latin words (other than the few allowed) and internal codes in the visible text."""
    text = visible_text(page)
    problems = []
    # Reference and file numbers mix letters and digits (QZ20261204CUUGK): codes people are
    # given on purpose. A word is a run of letters standing alone.
    tokens = re.findall(r"[A-Za-z0-9][A-Za-z0-9_.-]*", text)
    words = {
        w
        for token in tokens
        if not re.search(r"\d", token)
        for w in re.findall(r"[A-Za-z]{2,}", token)
        if w not in ALLOWED_LATIN
    }
    if words:
        problems.append(f"English on screen: {sorted(words)[:10]}")
    for pattern in CODE_PATTERNS:
        found = sorted(set(pattern.findall(text)))
        if found:
            problems.append(f"internal code on screen: {found[:5]}")
    return problems


def broken_names(page) -> list[str]:
    """Short Chinese texts (names, places, table headings) set one character per line."""
    result = page.evaluate(
        """() => {
          const problems = [];
          const cells = document.querySelectorAll('main td, main th, main .app-name, header .nav-link, header .dropdown-item, main .nav-link');
          for (const cell of cells) {
            if (cell.offsetParent === null) continue;
            for (const node of cell.childNodes) {
              if (node.nodeType !== 3) continue;
              const text = node.textContent.trim();
              const cjk = (text.match(/[\\u4e00-\\u9fff]/g) || []).length;
              if (cjk < 2 || text.length > 14) continue;
              const range = document.createRange();
              range.selectNodeContents(node);
              const lines = new Set([...range.getClientRects()].map(r => Math.round(r.top))).size;
              // A name (up to four characters) on two lines, anything short on three or more.
              if ((text.length <= 4 && lines >= 2) || lines >= 3) problems.push(`「${text}」 broken over ${lines} lines`);
            }
          }
          return problems.slice(0, 5);
        }"""
    )
    return list(result)


def small_targets(page) -> list[str]:
    """Buttons, fields and menu entries under 44 px on a phone."""
    result = page.evaluate(
        """() => {
          const problems = [];
          const sel = 'main .btn, main .form-control, main .form-select, main select, .nav-link, .page-link, .navbar-toggler, .app-inbox';
          for (const el of document.querySelectorAll(sel)) {
            if (el.offsetParent === null) continue;
            const box = el.getBoundingClientRect();
            if (box.height < 43.5) problems.push(`「${(el.innerText || el.getAttribute('aria-label') || el.name || el.tagName).trim().slice(0, 12)}」 is ${Math.round(box.height)}px tall`);
          }
          return problems.slice(0, 5);
        }"""
    )
    return list(result)


def axe_violations(page) -> list[str]:
    """axe-core's serious and critical violations (WCAG 2.1 A and AA rules)."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.evaluate(AXE.read_text(encoding="utf-8") + "\n;0")
    result = page.evaluate(
        """async () => {
          const r = await axe.run(document, {
            runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice']},
            resultTypes: ['violations'],
          });
          return r.violations.filter(v => v.impact === 'serious' || v.impact === 'critical')
            .map(v => `${v.id} (${v.impact}): ` + v.nodes.slice(0, 3).map(n => n.target.join(' ')).join(' | '));
        }"""
    )
    return list(result)
