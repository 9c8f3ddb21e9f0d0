/* Quartierskarte Minden: Streamlit's own English labels in the page's language (app/widgets/ui_texts.py).
 *
 * Streamlit 1.67 has no setting for the texts of its frontend: the skip link, the sidebar buttons, the
 * "Remove …" and "Clear all" buttons of multiselects, the "Add: …" row of the place search, the +/- of number
 * inputs. This script replaces them in the document, also when React draws them again, and keeps the English
 * original so that a change of language translates from it. window.qkUiTexts (set by the Python side just
 * before this script) holds {lang, exact: {english: translation}, prefix: [[english prefix, "… {x} …"]],
 * counted: [[regular expression with the count as group 1, {plural category: "… {n} …"}]]}; the category
 * comes from the browser's CLDR rules (Intl.PluralRules), the same rules as Babel's on the Python side.
 * Offer data never passes through here: only attributes (aria-label, title) and the text of Streamlit's own
 * skip link, list options, "no results" line and screen-reader announcements (aria-live) are looked at. */
(function () {
  "use strict";
  var ATTRS = ["aria-label", "title"];
  var TEXT_PLACES = '[data-testid="stSkipToContent"], [role="option"], [role="listbox"], [role="dialog"], ' +
    '[data-baseweb="popover"], [data-testid="stSelectboxVirtualDropdownEmpty"], [aria-live]';

  function translate(english) {
    var texts = window.qkUiTexts || { lang: "en", exact: {}, prefix: [], counted: [] };
    var trimmed = (english || "").trim();
    if (!trimmed) { return null; }
    if (Object.prototype.hasOwnProperty.call(texts.exact, trimmed)) { return texts.exact[trimmed]; }
    for (var i = 0; i < texts.prefix.length; i++) {
      var p = texts.prefix[i];
      if (trimmed.indexOf(p[0]) === 0 && trimmed.length > p[0].length) {
        return p[1].replace("{x}", trimmed.slice(p[0].length));
      }
    }
    for (var j = 0; j < texts.counted.length; j++) {
      var m = trimmed.match(new RegExp(texts.counted[j][0]));
      if (m) {
        var forms = texts.counted[j][1], n = Number(m[1]);
        var form = forms[new Intl.PluralRules(texts.lang).select(n)] || forms.other;
        return form.replace("{n}", String(n));
      }
    }
    return null;
  }

  // The English original and the text last written are kept: a value that is still the one written here is
  // translated again from its original (language change); any other value is new from React.
  function fixAttributes(el) {
    ATTRS.forEach(function (name) {
      var value = el.getAttribute(name);
      if (value === null) { return; }
      var keep = "data-qk-en-" + name, written = "data-qk-ui-" + name;
      if (el.getAttribute(written) !== value) {
        if (translate(value) === null) { el.removeAttribute(keep); el.removeAttribute(written); return; }
        el.setAttribute(keep, value);
      }
      var wanted = translate(el.getAttribute(keep));
      if (wanted === null) { return; }
      el.setAttribute(written, wanted);
      if (value !== wanted) { el.setAttribute(name, wanted); }
    });
  }

  var textNodes = new Map();  // text node → {en: Streamlit's English text, ui: the text written here}

  function fixText(node) {
    var seen = textNodes.get(node);
    if (!seen || seen.ui !== node.nodeValue) {
      if (translate(node.nodeValue) === null) { textNodes.delete(node); return; }
      seen = { en: node.nodeValue, ui: null };
      textNodes.set(node, seen);
    }
    var wanted = translate(seen.en);
    if (wanted === null) { return; }
    seen.ui = wanted;
    if (node.nodeValue !== wanted) { node.nodeValue = wanted; }
  }

  function fixTree(root) {
    if (root.nodeType === Node.TEXT_NODE) {
      if (root.parentElement && root.parentElement.closest(TEXT_PLACES)) { fixText(root); }
      return;
    }
    if (root.nodeType !== Node.ELEMENT_NODE) { return; }
    if (root.matches("[aria-label], [title]")) { fixAttributes(root); }
    root.querySelectorAll("[aria-label], [title]").forEach(fixAttributes);
    var places = root.matches(TEXT_PLACES) ? [root] : [];
    (root.closest(TEXT_PLACES) ? [root.closest(TEXT_PLACES)] : []).forEach(function (p) { places.push(p); });
    root.querySelectorAll(TEXT_PLACES).forEach(function (p) { places.push(p); });
    places.forEach(function (place) {
      var walker = document.createTreeWalker(place, NodeFilter.SHOW_TEXT);
      for (var n = walker.nextNode(); n; n = walker.nextNode()) { fixText(n); }
    });
  }

  window.qkUiTextsApply = function () {
    fixTree(document.body);
    textNodes.forEach(function (_, node) { if (node.isConnected) { fixText(node); } else { textNodes.delete(node); } });
    document.querySelectorAll("[data-qk-ui-aria-label], [data-qk-ui-title]").forEach(fixAttributes);
  };

  if (!window.qkUiTextsObserver) {
    window.qkUiTextsObserver = new MutationObserver(function (records) {
      records.forEach(function (r) {
        if (r.type === "childList") { r.addedNodes.forEach(fixTree); }
        else if (r.type === "attributes") { fixAttributes(r.target); }
        else if (r.type === "characterData") { fixTree(r.target); }
      });
    });
    window.qkUiTextsObserver.observe(document.body, { subtree: true, childList: true, characterData: true,
      attributes: true, attributeFilter: ATTRS });
  }
  window.qkUiTextsApply();
})();
