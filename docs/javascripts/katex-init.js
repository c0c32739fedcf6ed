/* Typeset every pymdownx.arithmatex element with the KaTeX vendored in assets/katex.
 *
 * arithmatex (generic: true) wraps inline math as <span class="arithmatex">\(...\)</span>
 * and display math as <div class="arithmatex">\[...\]</div>.  We render exactly those
 * elements (no page-wide delimiter scan, so a stray "$" in prose or code is never touched).
 * Material's `document$` observable fires on the first load and after every instant-navigation
 * page swap, so math is typeset on each page a reader reaches.
 * KaTeX runs with throwOnError so that an unknown macro is an error too (with throwOnError: false
 * KaTeX would quietly print it in red); the source is then shown in a .katex-error span whose
 * title is KaTeX's message, and tools/browser_check.py fails on it.
 */
(function () {
  "use strict";

  var INLINE = /^\\\(([\s\S]*)\\\)$/;
  var DISPLAY = /^\\\[([\s\S]*)\\\]$/;

  function typeset(root) {
    var nodes = root.querySelectorAll(".arithmatex");
    for (var i = 0; i < nodes.length; i++) {
      var el = nodes[i];
      if (el.querySelector(".katex, .katex-error")) continue; // already done
      var text = el.textContent.trim();
      var m = DISPLAY.exec(text);
      var display = true;
      if (!m) {
        m = INLINE.exec(text);
        display = false;
      }
      var tex = m ? m[1] : text;
      if (!m) display = el.tagName === "DIV";
      try {
        katex.render(tex, el, {
          displayMode: display,
          throwOnError: true,
          strict: "ignore",
          output: "htmlAndMathml",
          trust: false,
        });
      } catch (err) {
        var span = document.createElement("span");
        span.className = "katex-error";
        span.title = String(err && err.message ? err.message : err);
        span.textContent = tex;
        el.textContent = "";
        el.appendChild(span);
      }
    }
  }

  // Once the page is parsed (also opened from disk, file://, where Material's document$ may
  // not emit), and after every instant-navigation page swap.  typeset() skips done elements.
  function all() {
    typeset(document.body);
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", all);
  } else {
    all();
  }
  if (typeof document$ !== "undefined") {
    document$.subscribe(all);
  }
})();
