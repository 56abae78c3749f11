/*! Call for Ideas embed loader. Usage:
 <div id="call-for-ideas"></div>
 <script src="https://REVIEW-HOST/embed.js" data-call="call-for-ideas"
   data-partner="become" data-target="#call-for-ideas" defer></script>
 Optional: data-accent="#e4003b". Several widgets may share a page. */
(function () {
  "use strict";
  var VERSION = "__CFI_VERSION__";
  var d = document;
  var G = (window.__cfiEmbed = window.__cfiEmbed || { loads: {} });

  function scripts() {
    var list = [];
    var s = d.currentScript;
    if (s) return s.__cfi ? list : [s];
    // No currentScript (old browsers, or run after DOMContentLoaded): every
    // tag not started yet.
    var all = d.querySelectorAll('script[src*="embed.js"][data-call]');
    for (var i = 0; i < all.length; i++) if (!all[i].__cfi) list.push(all[i]);
    return list;
  }

  function fail(host, message) {
    host.style.minHeight = "";
    host.textContent = message;
    host.dispatchEvent(new CustomEvent("cfi:error", { bubbles: true, composed: true, detail: { kind: "load", message: message } }));
  }

  // Loads the glue and the wasm once per server, however many widgets.
  function load(base) {
    if (!G.loads[base]) {
      var dir = base + "/assets/" + VERSION + "/";
      var wasm = fetch(dir + "cfi_widget_bg.wasm", { credentials: "omit" });
      G.loads[base] = import(dir + "cfi_widget.js").then(function (m) {
        return m.default({ module_or_path: wasm }).then(function () {
          return m;
        });
      });
    }
    return G.loads[base];
  }

  function start(script) {
    script.__cfi = true;
    var a = function (n) {
      var v = script.getAttribute("data-" + n);
      return v && v.trim() ? v.trim() : null;
    };
    var call = a("call");
    if (!call) return;
    var base = new URL(script.src, d.baseURI).origin;
    var sel = a("target");
    var host = sel ? d.querySelector(sel) : null;
    if (!host) {
      host = d.createElement("div");
      script.parentNode.insertBefore(host, script.nextSibling);
    }
    if (host.__cfi) return;
    host.__cfi = true;
    // Reserve room so the page does not jump when the form appears.
    if (!host.firstChild) host.style.minHeight = "520px";
    host.addEventListener("cfi:ready", function () {
      host.style.minHeight = "";
    });
    var go = function () {
      load(base).then(
        function (m) {
          m.mount(host, call, a("partner") || undefined, base, a("accent") || undefined, base + "/assets/" + VERSION + "/widget.css");
        },
        function () {
          fail(host, "The Call for Ideas form could not be loaded. Check your connection and reload the page.");
        }
      );
    };
    if (!("IntersectionObserver" in window)) return go();
    var io = new IntersectionObserver(
      function (entries) {
        for (var i = 0; i < entries.length; i++) {
          if (entries[i].isIntersecting) {
            io.disconnect();
            return go();
          }
        }
      },
      { rootMargin: "600px 0px" }
    );
    io.observe(host);
  }

  var run = function () {
    var list = scripts();
    for (var i = 0; i < list.length; i++) start(list[i]);
  };
  // A data-target later in the page may not be parsed yet.
  var first = d.currentScript;
  var sel = first && first.getAttribute("data-target");
  if (sel && !d.querySelector(sel) && d.readyState === "loading")
    d.addEventListener("DOMContentLoaded", function () {
      start(first);
    });
  else run();
})();
