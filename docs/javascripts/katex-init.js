/* Typeset every pymdownx.arithmatex element with the KaTeX vendored in assets/katex.
 *
 * arithmatex (generic: true) wraps inline math as <span class="arithmatex">\(...\)</span>
 * and display math as <div class="arithmatex">\[...\]</div>.  We render exactly those
 * elements (no page-wide delimiter scan, so a stray "$" in prose or code is never touched).
 * Material's `document$` observable fires on the first load and after every instant-navigation
 * page swap, so math is typeset on each page a reader reaches.
 * Errors are rendered in place as .katex-error (tools/browser_check.py fails on them).
 */
(function () {
  "use strict";

  var INLINE = /^\\\(([\s\S]*)\\\)$/;
  var DISPLAY = /^\\\[([\s\S]*)\\\]$/;

  function typeset(root) {
    var nodes = root.querySelectorAll(".arithmatex");
    for (var i = 0; i < nodes.length; i++) {
      var el = nodes[i];
      if (el.querySelector(".katex")) continue; // already rendered
      var text = el.textContent.trim();
      var m = DISPLAY.exec(text);
      var display = true;
      if (!m) {
        m = INLINE.exec(text);
        display = false;
      }
      var tex = m ? m[1] : text;
      if (!m) display = el.tagName === "DIV";
      katex.render(tex, el, {
        displayMode: display,
        throwOnError: false,
        strict: "ignore",
        output: "htmlAndMathml",
        trust: false,
        macros: window.LOSSLAB_KATEX_MACROS || {},
      });
    }
  }

  if (typeof document$ !== "undefined") {
    document$.subscribe(function () {
      typeset(document.body);
    });
  } else {
    document.addEventListener("DOMContentLoaded", function () {
      typeset(document.body);
    });
  }
})();
