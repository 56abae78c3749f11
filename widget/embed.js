/*! Call for Ideas embed loader. Usage:
 <div id="call-for-ideas"><a href="https://REVIEW-HOST/calls/call-for-ideas/form">Send your ideas</a></div>
 <script src="https://REVIEW-HOST/calls/call-for-ideas/embed.js"
   data-partner="become" data-target="#call-for-ideas" defer></script>
 Optional: data-accent="#e4003b". Several widgets may share a page. */
// The same loader is /embed.js, for every call (`data-call` then names it):
// it can be pinned with Subresource Integrity, and fetches the call's
// definition and the stylesheet that /calls/{call}/embed.js carries.
(function () {
  "use strict";
  var VERSION = "__CFI_VERSION__";
  var d = document;
  var w = window;
  var G = (w.__cfiEmbed = w.__cfiEmbed || { loads: {}, files: {} });

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

  // Frees the room kept for the first screen, the page's own reserve too.
  function free(host) {
    host.style.minHeight = "0px";
  }

  // What a person reads when the form cannot run here, before the link to
  // the review's own form (which needs no script at all).
  var NO_WASM = "This form cannot run in this browser, for example when WebAssembly is turned off for safety.";
  var NOT_LOADED = "The form could not be loaded. Check your connection and reload the page.";
  var NOT_STARTED = "The form could not start in this browser.";
  var LINK = "Send your ideas on the review's own form";

  // The review's own form for this call, from this partner's page.
  function formUrl(base, call, partner) {
    return base + "/calls/" + encodeURIComponent(call) + "/form" + (partner ? "?partner=" + encodeURIComponent(partner) : "");
  }

  // Replaces what is in `host` (the partner's own link, for people without
  // JavaScript, or the reserve) with a sentence and a link to the review's
  // own form in the same tab, built with DOM methods only, and says why in
  // `cfi:error` (`no-webassembly`, `load-failed`).
  function fail(host, code, message, href) {
    free(host);
    // The first screen, if its definition comes after this, is not drawn.
    host.__cfiMounted = true;
    // A form that failed after attaching its shadow root would hide the
    // light DOM: write where it shows.
    var t = host.shadowRoot || host;
    // "Start now" pressed on the first screen the loader drew: the person
    // is waiting, so this is said at once and the link takes focus.
    var waiting = t.querySelector && t.querySelector("[data-started]");
    while (t.firstChild) t.removeChild(t.firstChild);
    var p = d.createElement("p");
    p.textContent = message + " ";
    var link = d.createElement("a");
    link.href = href;
    link.textContent = LINK + ".";
    p.appendChild(link);
    if (waiting) p.setAttribute("role", "alert");
    t.appendChild(p);
    if (waiting) link.focus();
    host.dispatchEvent(new CustomEvent("cfi:error", { bubbles: true, composed: true, detail: { kind: "load", code: code, message: message, href: href } }));
  }

  // Said under "Start now" when it is pressed before the form's code has
  // arrived: the form goes on to the first question as soon as it starts.
  var STARTING = "Opening the first question. This can take a few seconds on a slow connection.";

  // Draws the call's first screen (`first_screen` of its definition, the
  // blocks the form itself shows) in the shadow root with DOM methods only,
  // in the form's own markup, so nothing moves when the form takes it over.
  // Shown once the stylesheet has loaded; a "Start now" pressed meanwhile is
  // kept in `data-started` for the form to act on. Returns whether `sheet`
  // (the stylesheet's text, from the call's own loader) was adopted: then
  // the form needs no link to the stylesheet either.
  function draw(host, c, css, sheet) {
    var root = host.shadowRoot || host.attachShadow({ mode: "open" });
    var el = function (tag, cls, text, parent) {
      var e = d.createElement(tag);
      if (cls) e.className = cls;
      if (text) e.textContent = text;
      if (parent) parent.appendChild(e);
      return e;
    };
    var screen = el("div");
    screen.id = "cfi-first";
    screen.hidden = true;
    screen.lang = c.lang || "en";
    screen.dir = c.dir || "ltr";
    var form = el("form", "cfi-form", "", el("div", "cfi", "", screen));
    form.noValidate = true;
    c.first_screen.forEach(function (b) {
      var t = b.text;
      // No ids: the form's own screen, hidden beside this one until it takes
      // over, has them.
      if (b.kind === "heading") el("h2", "cfi-heading-l", t, form);
      else if (b.kind === "subheading") el("h3", "cfi-heading-m", t, form);
      else if (b.kind === "strong") el("strong", "", t, el("p", "cfi-body", "", form));
      else if (b.kind === "link") {
        var a = el("a", "cfi-link", t, el("p", "cfi-body", "", form));
        a.href = b.href;
        a.target = "_blank";
        a.rel = "noopener noreferrer";
      } else if (b.kind === "start") el("button", "cfi-button", t, form).type = "submit";
      else el("p", "cfi-body", t, form);
    });
    var status = el("div", "", "", form);
    status.setAttribute("role", "status");
    form.addEventListener("submit", function (e) {
      e.preventDefault();
      screen.setAttribute("data-started", "");
      status.className = "cfi-body";
      status.textContent = STARTING;
    });
    var show = function () {
      screen.hidden = false;
    };
    // The stylesheet came with the loader (`/calls/{call}/embed.js`): the
    // screen, and the form after it, are styled at once, with no request
    // (which would also hold back the page's load event).
    if (sheet && w.CSSStyleSheet && "adoptedStyleSheets" in root) {
      var s = new CSSStyleSheet();
      s.replaceSync(sheet);
      root.adoptedStyleSheets = [s];
      show();
      root.appendChild(screen);
      return true;
    }
    var link = el("link", "", "", root);
    link.rel = "stylesheet";
    link.href = css;
    link.onload = link.onerror = show;
    root.appendChild(screen);
    return false;
  }

  // A request for the form's files failed (rather than the browser failing
  // to start them): only then is the connection worth checking.
  function requestFailed(error) {
    return !!(error && error.cfiRequest);
  }

  // The room (px) the first screen takes in `host`: the demo call's start
  // screen measured at widths of 260 to 720 px (text wraps more on narrow
  // hosts; 640 px is the form's widest), rounded up so it never falls short.
  // scripts/bench-widget.mjs prints it beside the real height on each page.
  function reserve(host, cs) {
    var px = function (p) {
      return parseFloat(cs[p]) || 0;
    };
    var width = Math.max(host.clientWidth - px("paddingLeft") - px("paddingRight"), 260);
    var h = 807 + 400 * Math.max(0, 640 / width - 1);
    if (cs.boxSizing === "border-box") h += px("paddingTop") + px("paddingBottom") + px("borderTopWidth") + px("borderBottomWidth");
    return Math.ceil(h);
  }

  // Starts the downloads once per server: the wasm (handed to the glue as a
  // Response, so it compiles while it streams in) and the glue.
  function files(base) {
    var dir = base + "/assets/" + VERSION + "/";
    var f = G.files[base];
    if (!f) {
      var failed = function (e) {
        var error = e instanceof Error ? e : new Error(String(e));
        error.cfiRequest = true;
        throw error;
      };
      f = G.files[base] = {
        wasm: fetch(dir + "cfi_widget_bg.wasm", { credentials: "omit" }).then(function (r) {
          if (!r.ok) failed("HTTP " + r.status);
          return r;
        }, failed),
        glue: import(dir + "cfi_widget.js").catch(failed),
      };
      // A failure is reported when a form needs these, not while warming.
      f.wasm.catch(Boolean);
      f.glue.catch(Boolean);
    }
    return f;
  }

  // The stylesheet the shadow root will link to, fetched once per server
  // when a form is about to show, so it is in the cache by then.
  function preloadCss(base) {
    var done = (G.css = G.css || {});
    if (done[base]) return;
    var link = (done[base] = d.createElement("link"));
    link.rel = "preload";
    link.as = "style";
    link.href = base + "/assets/" + VERSION + "/widget.css";
    d.head.appendChild(link);
  }

  // Loads the glue and the wasm once per server, however many widgets.
  function load(base) {
    if (!G.loads[base]) {
      var f = files(base);
      G.loads[base] = f.glue.then(function (m) {
        // A failed download is told from a failed start (below).
        return f.wasm.then(function () {
          return m.default({ module_or_path: f.wasm }).then(function () {
            return m;
          });
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
    // What `/calls/{call}/embed.js` carries: the call's definition and the
    // stylesheet (see `draw`).
    var pre = script.__cfiPre;
    var call = a("call") || (pre && pre.definition.id);
    if (!call) return;
    if (pre && pre.definition.id !== call) pre = null;
    // Named on the tag as `/embed.js` tags name it: the form tells apart
    // several forms for one call on a page (each its own draft) by the tags.
    if (!a("call")) script.setAttribute("data-call", call);
    var base = new URL(script.src, d.baseURI).origin;
    var sel = a("target");
    var host = sel ? d.querySelector(sel) : null;
    if (!host) {
      host = d.createElement("div");
      script.parentNode.insertBefore(host, script.nextSibling);
    }
    if (host.__cfi) return;
    host.__cfi = true;
    var href = formUrl(base, call, a("partner"));
    if (typeof WebAssembly !== "object" || typeof WebAssembly.instantiate !== "function") return fail(host, "no-webassembly", NO_WASM, href);
    // Reserve the room the first screen takes at this width, unless the
    // page's stylesheet does (only a reserve there is in place before the
    // page's first paint). Kept until the person first clicks in the form
    // or types, when moving content no longer surprises anyone; not on
    // pointerdown or focus, which come before the click lands: the page
    // must not move under the pointer.
    // The partner's link for people without JavaScript counts as empty.
    var empty = !host.firstElementChild || (host.children.length === 1 && host.firstElementChild.tagName === "A");
    var release = function () {
      free(host);
      ["click", "keydown"].forEach(function (t) {
        host.removeEventListener(t, release, true);
      });
    };
    ["click", "keydown"].forEach(function (t) {
      host.addEventListener(t, release, true);
    });
    // The first screen is drawn from the call's definition, with the
    // stylesheet: both are asked for at once, wherever the form is on the
    // page (a few kilobytes), since every round trip before the first
    // screen is one a person on a slow connection waits for.
    var definition = pre
      ? Promise.resolve(new Response(JSON.stringify(pre.definition)))
      : fetch(base + "/api/calls/" + encodeURIComponent(call), { credentials: "omit" });
    definition.catch(function () {});
    var css = base + "/assets/" + VERSION + "/widget.css";
    // Carried with the loader, the first screen is drawn at once, wherever
    // the host is: it needs no request, and no layout is read to draw it.
    // In a task of its own: with this script's, one task of over 50 ms on a
    // slow phone.
    var adopted;
    if (pre && pre.definition.first_screen)
      setTimeout(function () {
        if (!host.__cfiMounted) adopted = draw(host, pre.definition, css, pre.css);
      });
    if (!pre) preloadCss(base);
    var go = function () {
      // The first screen, drawn from the fetched definition while the wasm
      // is on its way; the form takes it over when it starts.
      if (!pre)
        definition
          .then(function (r) {
            return r.ok ? r.clone().json() : null;
          })
          .then(function (c) {
            if (c && c.first_screen && !host.__cfiMounted) draw(host, c, css);
          })
          .catch(function () {});
      // The form's code is requested in a task of its own: on a slow phone
      // each request costs a few milliseconds of the page's main thread,
      // and with the rest of this script they made one task of over 50 ms.
      // The first screen needs only the definition and the stylesheet.
      setTimeout(function () {
        load(base).then(
          function (m) {
            // A task of its own too: starting the wasm and mounting the form
            // in one would block the page longer on a slow phone.
            setTimeout(function () {
              try {
                host.__cfiMounted = true;
                if (empty) while (host.firstChild) host.removeChild(host.firstChild);
                m.mount(host, call, a("partner") || undefined, base, a("accent") || undefined, adopted ? undefined : css, definition);
              } catch (e) {
                fail(host, "load-failed", NOT_STARTED, href);
              }
            });
          },
          function (e) {
            fail(host, "load-failed", requestFailed(e) ? NOT_LOADED : NOT_STARTED, href);
          }
        );
      });
    };
    // Where the host is and how wide: read where the browser has just
    // computed the page's style and layout, in a ResizeObserver's first
    // report (before the next paint, so a reserve set there is in place
    // when the page is drawn), rather than here, where reading them makes
    // the browser compute them in this script's task (10 to 15 ms of a
    // slow phone's main thread).
    var place = function () {
      var r = host.getBoundingClientRect();
      var cs = getComputedStyle(host);
      if (empty && !(parseFloat(cs.minHeight) > 0)) host.style.minHeight = reserve(host, cs) + "px";
      // Already within the observer's reach: start now, not after the frame
      // the observer would first report in (about 100 ms on a slow phone).
      if (!("IntersectionObserver" in w) || (r.top < w.innerHeight + 600 && r.bottom > -600)) return go();
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
      // A form further down the page: fetch its files while the page is idle,
      // so it is ready when the person scrolls to it.
      var idle = w.requestIdleCallback || function (f) { setTimeout(f, 2000); };
      var warm = function () {
        idle(function () {
          files(base);
        });
      };
      if (d.readyState === "complete") warm();
      else w.addEventListener("load", warm);
    };
    // A script the parser waits for runs while the page is still being
    // parsed, and the browser may draw what comes after it at any time:
    // its reserve is set at once.
    if (!("ResizeObserver" in w) || d.readyState === "loading") return place();
    // Disconnected before the reserve changes the host's size: a second
    // report in the same frame would be an error on the partner's page.
    var ro = new ResizeObserver(function () {
      ro.disconnect();
      place();
    });
    ro.observe(host);
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
