/* Quartierskarte Minden, every page (app/widgets/page.py keep_language). On a phone the sidebar lies over the
   page: after a tap on a page link it closes, as a menu does, instead of covering the page that was chosen. */
(function () {
  "use strict";
  if (window.qkSidebarCloses) { return; }
  window.qkSidebarCloses = true;
  var phone = window.matchMedia("(max-width: 767.98px)");
  document.addEventListener("click", function (event) {
    var link = event.target.closest && event.target.closest('[data-testid="stSidebarNav"] a');
    if (!link || !phone.matches) { return; }
    window.setTimeout(function () {
      var sidebar = document.querySelector('[data-testid="stSidebar"]');
      var close = document.querySelector('[data-testid="stSidebarCollapseButton"] button');
      if (sidebar && sidebar.getAttribute("data-collapsed") !== "true" && close) { close.click(); }
    }, 0);
  }, true);
})();
